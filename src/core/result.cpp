#include "attune/core/result.hpp"

namespace attune {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::INVALID_ARGUMENT: return "invalid_argument";
    case ErrorCode::NOT_FOUND: return "not_found";
    case ErrorCode::ALREADY_EXISTS: return "already_exists";
    case ErrorCode::NOT_PERMITTED: return "not_permitted";
    case ErrorCode::UNAUTHENTICATED: return "unauthenticated";
    case ErrorCode::CONFLICT: return "conflict";
    case ErrorCode::RATE_LIMITED: return "rate_limited";
    case ErrorCode::FAILED_PRECONDITION: return "failed_precondition";
    case ErrorCode::IO: return "io";
    case ErrorCode::INTERNAL: return "internal";
  }
  return "internal";
}

}  // namespace attune
