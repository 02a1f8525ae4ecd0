#include "store/audit.hpp"

#include <sodium.h>

#include <array>
#include <string>

namespace attune::store::detail {
namespace {

void AppendField(std::string& out, const std::string& value) {
  out += std::to_string(value.size());
  out += ':';
  out += value;
  out += ';';
}

}  // namespace

std::string AuditHash(const AuditEntry& entry) {
  std::string canonical = "attune-audit-v1;";
  AppendField(canonical, std::to_string(entry.org_id));
  AppendField(canonical, std::to_string(entry.seq));
  AppendField(canonical, entry.at);
  AppendField(canonical, entry.actor);
  AppendField(canonical, entry.action);
  AppendField(canonical, entry.entity);
  AppendField(canonical, entry.entity_id);
  AppendField(canonical, entry.detail);
  AppendField(canonical, entry.prev_hash);
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(canonical.data()),
                     canonical.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(digest.size() * 2);
  for (unsigned char byte : digest) {
    hex += kHex[byte >> 4];
    hex += kHex[byte & 0x0f];
  }
  return hex;
}

}  // namespace attune::store::detail
