#pragma once
// Where a CUDA model runs: its device and the priority of the stream it gets.

namespace epara::cuda {

struct StreamOptions {
  int device = 0;    ///< CUDA device index
  int priority = 0;  ///< 0: normal; higher runs first when streams compete (clamped to the
                     ///< device's range). Multi-task executors give each task its own.
};

}  // namespace epara::cuda
