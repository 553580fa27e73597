#pragma once
// A thin owner of a GLPK problem: rows and columns with bounds, a sparse matrix, and a solve that
// either reports the optimum or throws. The bound's model code stays free of GLPK's C API.

#include <glpk.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace epara::bound::detail {

class LinearProgram {
 public:
  LinearProgram() : lp_(glp_create_prob(), &glp_delete_prob) {
    glp_term_out(GLP_OFF);  // GLPK's terminal output (its scaling reports) is not ours to print
    glp_set_obj_dir(lp_.get(), GLP_MAX);
  }

  /// A row `sum(coefficients) <= upper`; its index.
  int add_row_at_most(double upper) {
    const int row = glp_add_rows(lp_.get(), 1);
    glp_set_row_bnds(lp_.get(), row, GLP_UP, 0.0, upper);
    return row;
  }
  /// A column `0 <= x (<= upper)` with objective coefficient `gain`; its index.
  int add_column(double gain, std::optional<double> upper = std::nullopt) {
    const int col = glp_add_cols(lp_.get(), 1);
    if (upper)
      glp_set_col_bnds(lp_.get(), col, GLP_DB, 0.0, *upper);
    else
      glp_set_col_bnds(lp_.get(), col, GLP_LO, 0.0, 0.0);
    glp_set_obj_coef(lp_.get(), col, gain);
    return col;
  }
  /// An integer column `x >= 0` with objective coefficient `gain`; its index.
  int add_integer_column(double gain) {
    const int col = add_column(gain);
    glp_set_col_kind(lp_.get(), col, GLP_IV);
    return col;
  }
  /// Changes a column's objective coefficient (between solves).
  void set_gain(int col, double gain) { glp_set_obj_coef(lp_.get(), col, gain); }
  /// Bounds a column below (between solves); it keeps no upper bound.
  void set_lower_bound(int col, double lower) {
    glp_set_col_bnds(lp_.get(), col, GLP_LO, lower, 0.0);
  }
  void set(int row, int col, double value) {
    rows_.push_back(row);
    cols_.push_back(col);
    values_.push_back(value);
  }
  int columns() const { return glp_get_num_cols(lp_.get()); }

  /// Maximizes; throws Error unless GLPK finds an optimum (callers build feasible LPs).
  void solve() {
    if (!solve_relaxation()) throw_failure("the simplex method", GLP_ENOPFS, GLP_NOFEAS);
  }

  enum class MipStatus {
    Optimal,     ///< the integer optimum, proven
    TimeLimit,   ///< time ran out with a feasible solution (and the bound proven so far)
    Infeasible,  ///< no integer solution exists
    NoSolution,  ///< time ran out before any integer solution was found
  };
  /// With integer columns: the LP relaxation, then branch and bound for at most `time_limit_s`.
  /// Throws Error when GLPK fails otherwise. Read the solution with mip_objective() and
  /// mip_value().
  MipStatus solve_integer(double time_limit_s) {
    if (!solve_relaxation()) return MipStatus::Infeasible;
    relaxation_ = glp_get_obj_val(lp_.get());
    glp_iocp parm;
    glp_init_iocp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    parm.tm_lim = static_cast<int>(time_limit_s * 1000.0);
    const int rc = glp_intopt(lp_.get(), &parm);
    const int status = glp_mip_status(lp_.get());
    if (rc == 0 && status == GLP_OPT) return MipStatus::Optimal;
    if (rc == 0 && status == GLP_NOFEAS) return MipStatus::Infeasible;
    if (rc == GLP_ETMLIM && status == GLP_FEAS) return MipStatus::TimeLimit;
    if (rc == GLP_ETMLIM && status == GLP_UNDEF) return MipStatus::NoSolution;
    throw_failure("branch and bound", rc, status);
  }
  double objective() const { return glp_get_obj_val(lp_.get()); }
  double value(int col) const { return glp_get_col_prim(lp_.get(), col); }
  double mip_objective() const { return glp_mip_obj_val(lp_.get()); }
  double mip_value(int col) const { return glp_mip_col_val(lp_.get(), col); }
  /// The LP relaxation's optimum of the last solve_integer: an upper bound on the integer one.
  double relaxation() const { return relaxation_; }

 private:
  [[noreturn]] static void throw_failure(const char* method, int rc, int status);

  // The LP (relaxation): true at an optimum, false when no point satisfies the rows; throws
  // Error on other failures (an unbounded LP is a modelling error here).
  bool solve_relaxation() {
    glp_load_matrix(lp_.get(), static_cast<int>(values_.size()) - 1, rows_.data(), cols_.data(),
                    values_.data());
    glp_scale_prob(lp_.get(), GLP_SF_AUTO);
    glp_smcp parm;
    glp_init_smcp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    parm.presolve = GLP_ON;
    int rc = glp_simplex(lp_.get(), &parm);
    if (rc == GLP_ENOPFS || rc == GLP_ENODFS) {
      // The presolver's verdict on a badly scaled problem is not final: the simplex method's
      // own first phase decides.
      parm.presolve = GLP_OFF;
      rc = glp_simplex(lp_.get(), &parm);
    }
    const int status = glp_get_status(lp_.get());
    if (rc == 0 && status == GLP_OPT) return true;
    if (rc == 0 && status == GLP_NOFEAS) return false;
    throw_failure("the simplex method", rc, status);
  }

  std::unique_ptr<glp_prob, decltype(&glp_delete_prob)> lp_;
  double relaxation_ = 0.0;
  // GLPK's triplets are 1-based: element 0 is unused.
  std::vector<int> rows_{0}, cols_{0};
  std::vector<double> values_{0.0};
};

}  // namespace epara::bound::detail
