#include "common/base/bus_names.hpp"

namespace giflab::bus {

std::string jobPath(uint32_t id) { return std::string(kManagerPath) + "/job/" + std::to_string(id); }

std::string errorName(ErrorKind kind) { return kErrorPrefix + std::string(kErrorNames.name(kind)); }

bool isOurError(const std::string& name) { return name.rfind(kErrorPrefix, 0) == 0; }

ErrorKind errorKindOf(const std::string& name) {
  if (!isOurError(name)) return ErrorKind::Internal;
  return kErrorNames.parse(std::string_view(name).substr(std::char_traits<char>::length(kErrorPrefix)))
      .value_or(ErrorKind::Internal);
}

}  // namespace giflab::bus
