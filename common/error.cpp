#include "common/error.hpp"

namespace giflab {

const char* errorKindName(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::InvalidArgument: return "InvalidArgument";
    case ErrorKind::Config: return "Config";
    case ErrorKind::NoBaselines: return "NoBaselines";
    case ErrorKind::BaselineCorrupt: return "BaselineCorrupt";
    case ErrorKind::InsufficientSamples: return "InsufficientSamples";
    case ErrorKind::ScenarioFailed: return "ScenarioFailed";
    case ErrorKind::UnknownScenario: return "UnknownScenario";
    case ErrorKind::Storage: return "Storage";
    case ErrorKind::Cancelled: return "Cancelled";
    case ErrorKind::AccessDenied: return "AccessDenied";
    case ErrorKind::Busy: return "Busy";
    case ErrorKind::Internal: return "Internal";
  }
  return "Internal";
}

}  // namespace giflab
