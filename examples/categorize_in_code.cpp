// Describe hardware and a service in code, then ask which category the service falls in.
//
//   edge (2 x L4, 24 GiB each) ---- board (1 x Orin, 28 GiB)
//
// A 30 fps video stream whose model manages 24 frames/s on one L4 needs several GPUs (FS-N);
// at 15 fps one GPU is enough (FS-1).
#include <fmt/format.h>
#include <epara/epara.hpp>

int main() {
  using namespace epara;
  using namespace epara::literals;

  Cluster cluster;
  cluster.device_classes = {{"l4-24g", DeviceKind::Gpu, 24_GiB, 0.4},
                            {"orin-32g", DeviceKind::Gpu, 28_GiB, 0.12}};
  const DeviceClassId l4{0}, orin{1};
  cluster.servers = {{"edge", ServerKind::EdgeServer, {l4, l4}, {}},
                     {"board", ServerKind::EmbeddedBoard, {orin}, {}}};
  cluster.network = Network(2, {{ServerId{0}, ServerId{1}, 1ms, Bandwidth::gbit_per_s(1)}});

  // Measured on the L4 only; the Orin's latency is scaled by relative speed (0.4 / 0.12).
  const Profile segmenter{
      "segmenter", "example figures", {{l4, 1, LatencyCurve({{1, 50ms}, {4, 170ms}}, 8)}}};

  for (double fps : {30.0, 15.0}) {
    const ServiceSpec video{"video-seg", Slo::frequency(Rate{fps}, 250ms), 6_GiB, ProfileId{0},
                            300_KiB};
    const Categorization c = categorize(video, segmenter, cluster);
    fmt::print("{} at {} fps -> {} ({})\n  {}\n", video.name, fps, c.category, to_string(c.rule),
               c.reason);
  }
}
