#pragma once
// An objective chosen at run time: any model of SubmodularObjective behind one type, so that
// the scheduler can place with an objective it was not compiled with (a researcher's, or one
// written in Python). A factory makes one per ground set, as the scheduler makes its own.

#include <cstddef>
#include <functional>
#include <memory>
#include <utility>

#include "epara/placement/ground_set.hpp"
#include "epara/placement/objective.hpp"

namespace epara {

/// Owns one objective of any type modelling SubmodularObjective; move-only. Each call costs one
/// virtual call beside the objective's own.
class AnyObjective {
 public:
  template <SubmodularObjective O>
  explicit AnyObjective(O objective) : self_(std::make_unique<Model<O>>(std::move(objective))) {}
  double gain(std::size_t c) const { return self_->gain(c); }
  void commit(std::size_t c) { self_->commit(c); }
  double value() const { return self_->value(); }

 private:
  struct Concept {
    virtual ~Concept() = default;
    virtual double gain(std::size_t c) const = 0;
    virtual void commit(std::size_t c) = 0;
    virtual double value() const = 0;
  };
  template <class O>
  struct Model final : Concept {
    explicit Model(O o) : objective(std::move(o)) {}
    double gain(std::size_t c) const override { return objective.gain(c); }
    void commit(std::size_t c) override { objective.commit(c); }
    double value() const override { return objective.value(); }
    O objective;
  };
  std::unique_ptr<Concept> self_;
};
static_assert(SubmodularObjective<AnyObjective>);

/// Makes the objective of one ground set (its candidates, demand and weights), committed to
/// nothing. The scheduler calls it for each tier of the objective and each set it re-evaluates.
using ObjectiveFactory = std::function<AnyObjective(const GroundSet&)>;

}  // namespace epara
