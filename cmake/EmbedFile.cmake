# cmake -DINPUT=file -DOUTPUT=file.cpp -P EmbedFile.cmake
# Writes a C++ source defining epara::cli::embedded_testbed_json(), returning INPUT's bytes.
file(READ "${INPUT}" _hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," _bytes "${_hex}")
file(WRITE "${OUTPUT}" "// Generated from ${INPUT} by cmake/EmbedFile.cmake. Do not edit.
#include <string_view>
namespace epara::cli {
namespace {
constexpr char bytes[] = {${_bytes}};
}  // namespace
std::string_view embedded_testbed_json() { return {bytes, sizeof bytes}; }
}  // namespace epara::cli
")
