#pragma once
// Errors for broken preconditions. Legitimate algorithmic conclusions (infeasible, rejected) are
// values, never exceptions; see docs/architecture.md "Errors".

#include <stdexcept>
#include <string>

namespace epara {

/// Base of every exception libepara throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The caller broke a precondition: bad scenario field, unknown name, out-of-range value.
/// The message names the file, JSON path or argument at fault.
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

/// A CUDA runtime or cuBLAS call failed. The message names the call, the error and file:line.
class CudaError : public Error {
 public:
  using Error::Error;
};

}  // namespace epara

/// Throws epara::InvalidArgument with `message` (anything convertible to std::string) when
/// `condition` is false.
#define EPARA_EXPECTS(condition, message)                      \
  do {                                                         \
    if (!(condition)) throw ::epara::InvalidArgument(message); \
  } while (false)
