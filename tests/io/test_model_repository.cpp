#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "epara/io/deployment_json.hpp"
#include "epara/io/model_repository.hpp"
#include "epara/io/scenario_json.hpp"
#include "temp_dir.hpp"

using namespace epara;

namespace {

// A repository folder of its own, removed at the end.
struct Repository {
  // A model folder with `config` as its config.json and, when `with_file`, a 1/model.pt.
  std::filesystem::path add(const std::string& name, const std::string& config,
                            bool with_file = true) {
    const auto folder = root / name;
    std::filesystem::create_directories(folder / "1");
    std::ofstream(folder / "config.json") << config;
    if (with_file) std::ofstream(folder / "1" / "model.pt") << "not read here";
    return folder;
  }
  test::TempDir dir{"epara-repository-"};
  std::filesystem::path root = dir.path;
};

std::string config(const std::string& service, const std::string& inputs =
                                                   R"([{"name": "image", "datatype": "UINT8",
                                                        "dims": [3, 8, 8]}])") {
  return R"({"platform": "torchscript", "service": ")" + service +
         R"(", "max_batch": 16, "memory_mib": 40, "inputs": )" + inputs +
         R"(, "outputs": [{"name": "logits", "datatype": "FP32", "dims": [10]}]})";
}

}  // namespace

TEST_CASE("a model repository: one folder per model, its config and its file", "[io]") {
  Repository r;
  r.add("mobilenet", config("classify"));
  r.add("tokens", config("chat", R"([{"name": "ids", "datatype": "INT64", "dims": [-1]}])"));
  const auto models = io::read_model_repository(r.root);
  REQUIRE(models.size() == 2);
  CHECK(models[0].name == "mobilenet");
  CHECK(models[0].service == "classify");
  CHECK(models[0].max_batch == 16);
  CHECK(models[0].memory == Bytes::mib(40));
  CHECK(models[0].inputs ==
        std::vector<exec::TensorSpec>{{"image", exec::DType::UINT8, {3, 8, 8}}});
  CHECK(models[0].outputs == std::vector<exec::TensorSpec>{exec::fp32_vector("logits", 10)});
  CHECK(models[0].file == r.root / "mobilenet" / "1" / "model.pt");
  CHECK(models[1].inputs[0].shape == exec::Shape{exec::TensorSpec::any});
}

TEST_CASE("a malformed repository gives an error naming the file and field", "[io]") {
  Repository r;
  const std::string cfg = (r.root / "m" / "config.json").string();
  const auto error = [&](const std::string& text, bool with_file = true) {
    std::filesystem::remove_all(r.root / "m");
    r.add("m", text, with_file);
    try {
      io::read_model_repository(r.root);
    } catch (const InvalidArgument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(error(config("classify"), false) == (r.root / "m" / "1" / "model.pt").string() +
                                                ": no such file (the model 'm' of " + cfg + ")");
  CHECK_THAT(error("{"), Catch::StartsWith(cfg + ":"));
  CHECK(error(config("classify", "[]")) == cfg + ": inputs: give at least one tensor");
  CHECK(error(config("classify", R"([{"name": "t", "datatype": "BYTES", "dims": [1]}])")) ==
        cfg + ": inputs: 't': BYTES is no TorchScript tensor type");
  CHECK(error(config("classify", R"([{"name": "t", "datatype": "INT8", "dims": [1]}])")) ==
        cfg +
            ": inputs[0].datatype: must be one of 'FP32', 'FP16', 'INT64', 'INT32', 'UINT8', "
            "'BYTES' (got 'INT8')");
  std::string onnx = config("classify");
  onnx.replace(onnx.find("torchscript"), 11, "onnx");
  CHECK(error(onnx) == cfg + ": platform: must be one of 'torchscript' (got 'onnx')");
  std::string no_batch = config("classify");
  no_batch.replace(no_batch.find(R"("max_batch": 16, )"), 17, "");
  CHECK(error(no_batch) == cfg + ": (top level): missing required field 'max_batch'");
  CHECK_THROWS_WITH(io::read_model_repository(r.root / "absent"),
                    (r.root / "absent").string() + ": not a model repository (no such directory)");

  std::filesystem::remove_all(r.root / "m");
  r.add("a", config("classify"));
  r.add("b", config("classify"));
  CHECK_THROWS_WITH(
      io::read_model_repository(r.root),
      (r.root / "b" / "config.json").string() + ": service 'classify' is served by 'a' already");
}

TEST_CASE("a deployment serves a repository's models, naming what does not fit", "[io]") {
  Repository r;
  r.add("mobilenet", config("m"));
  const auto cloud = [&](const std::string& repository, const std::string& models = "[]") {
    return std::string(R"({
      "device_classes": [{"name": "host", "kind": "gpu", "memory_gib": 8, "relative_speed": 1}],
      "servers": [{"name": "a", "kind": "edge_server", "gpus": [{"device_class": "host", "count": 1}]}],
      "network": {"links": []},
      "profiles": [{"name": "p", "source": "test", "curves": [{"device_class": "host", "gpus": 1,
        "max_batch": 8, "points": [{"batch": 1, "latency_ms": 1}]}]}],
      "services": [{"name": "m", "profile": "p", "model_memory_gib": 0.1, "input_kib": 1,
                    "slo": {"type": "latency", "deadline_ms": 100}}],
      "deployment": {"nodes": [{"server": "a", "address": "h:1"}], "models": )") +
           models + R"(, "model_repository": ")" + repository + R"("}})";
  };
  const auto parse = [](const std::string& text) {
    return io::parse_deployment(text, "cloud.json", io::parse_scenario(text, "cloud.json"));
  };
  const Deployment d = parse(cloud(r.root.string()));
  REQUIRE(d.models.size() == 1);
  CHECK(d.models[0].kind == ModelSpec::Kind::TorchScript);
  CHECK(d.models[0].file == (r.root / "mobilenet" / "1" / "model.pt").string());
  CHECK(d.models[0].inputs[0].name == "image");
  CHECK(d.models[0].max_batch == 16);
  CHECK_THROWS_WITH(
      parse(cloud(r.root.string(), R"([{"service": "m", "model": "dense", "widths": [2, 2]}])")),
      "cloud.json: deployment.model_repository: model 'mobilenet' serves 'm', which has a model "
      "already");
  r.add("other", config("nobody"));
  CHECK_THROWS_WITH(parse(cloud(r.root.string())),
                    "cloud.json: deployment.model_repository: model 'other' serves 'nobody', no "
                    "service of the scenario");
  CHECK_THROWS_WITH(parse(cloud("/no/such/dir")),
                    "cloud.json: deployment.model_repository: /no/such/dir: not a model "
                    "repository (no such directory)");
}
