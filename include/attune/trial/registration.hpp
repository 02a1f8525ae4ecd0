#pragma once
//! Pre-registration of the trial: design, measurement schedule, outcomes, analysis plan and the
//! allocation hash (not the allocation itself, which stays concealed), as JSON and Markdown.

#include <string>

#include "attune/trial/allocation.hpp"

namespace attune::trial {

//! Pre-registration as pretty-printed JSON. The seed is not disclosed (only the hash, which
//! commits to it); `registered_at` is supplied by the caller (pure logic has no clock).
std::string RegistrationJson(const Allocation& allocation, const std::string& registered_at);
//! The same content as Markdown.
std::string RegistrationMarkdown(const Allocation& allocation, const std::string& registered_at);

}  // namespace attune::trial
