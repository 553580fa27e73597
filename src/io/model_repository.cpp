#include "epara/io/model_repository.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>

#include "epara/model/limits.hpp"
#include "io/json_reader.hpp"
#include "io/tensor_json.hpp"

namespace epara::io {

RepositoryModel read_repository_model(const std::filesystem::path& folder) {
  const std::filesystem::path config = folder / "config.json";
  std::ifstream in(config, std::ios::binary);
  if (!in)
    throw InvalidArgument(fmt::format("{}: cannot read the model's config", config.string()));
  const std::string text(std::istreambuf_iterator<char>(in), {});
  const std::string source = config.string();
  const nlohmann::json document = detail::parse_json(text, source);
  const detail::JsonNode n(document, source);
  n.expect_object({"platform", "service", "max_batch", "memory_mib", "inputs", "outputs"});
  RepositoryModel m;
  m.name = folder.filename().string();
  m.platform = n.at("platform").choice<std::string>({{"torchscript", "torchscript"}});
  m.service = n.at("service").name();
  m.max_batch = static_cast<std::size_t>(n.at("max_batch").positive_int(65536));
  m.memory =
      n.at("memory_mib")
          .bytes(detail::mib, limits::max_memory_gib * 1024.0, detail::JsonNode::Zero::Allowed);
  m.inputs = detail::read_tensor_specs(n.at("inputs"));
  m.outputs = detail::read_tensor_specs(n.at("outputs"));
  for (const auto& [specs, field] :
       {std::pair{&m.inputs, "inputs"}, std::pair{&m.outputs, "outputs"}})
    for (std::size_t i = 0; i < specs->size(); ++i)
      if ((*specs)[i].dtype == exec::DType::BYTES)
        n.at(field).fail(
            fmt::format("'{}': BYTES is no TorchScript tensor type", (*specs)[i].name));
  m.file = folder / "1" / "model.pt";
  if (!std::filesystem::is_regular_file(m.file))
    throw InvalidArgument(
        fmt::format("{}: no such file (the model '{}' of {})", m.file.string(), m.name, source));
  return m;
}

std::vector<RepositoryModel> read_model_repository(const std::filesystem::path& repository) {
  if (!std::filesystem::is_directory(repository))
    throw InvalidArgument(
        fmt::format("{}: not a model repository (no such directory)", repository.string()));
  std::vector<std::filesystem::path> folders;
  for (const auto& entry : std::filesystem::directory_iterator(repository))
    if (entry.is_directory()) folders.push_back(entry.path());
  std::sort(folders.begin(), folders.end());  // a stable order, whatever the file system's
  std::vector<RepositoryModel> models;
  std::map<std::string, std::string> served_by;
  for (const auto& folder : folders) {
    RepositoryModel m = read_repository_model(folder);
    if (const auto [it, fresh] = served_by.emplace(m.service, m.name); !fresh)
      throw InvalidArgument(fmt::format("{}: service '{}' is served by '{}' already",
                                        (folder / "config.json").string(), m.service, it->second));
    models.push_back(std::move(m));
  }
  return models;
}

}  // namespace epara::io
