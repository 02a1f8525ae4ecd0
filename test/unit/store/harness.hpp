#pragma once
// The shared repository suite runs against whichever back end the test binary provides.

#include <string>

#include "attune/store/store.hpp"

namespace attune::store::testing {

//! Supplies a fresh, empty database per test.
class Harness {
 public:
  virtual ~Harness() = default;
  //! A new empty database (a temp SQLite file, or a new PostgreSQL database).
  virtual Target Fresh() = 0;
  //! A temp path for backups and the like.
  virtual std::string TempPath(const std::string& name) = 0;
};

//! Set by the binary's back-end file (sqlite_harness.cpp / postgres_harness.cpp).
Harness& CurrentHarness();

//! SQL that removes the audit log's append-only triggers (the tampering tests play an
//! attacker with direct database access).
std::string DropAuditTriggers(Backend backend);

}  // namespace attune::store::testing
