#pragma once
// Private to module service: an alert module monitor raised, as the store keeps it.
#include <string>
#include <utility>

#include "attune/core/types.hpp"
#include "attune/monitor/monitor.hpp"

namespace attune::service {

// `raised` about `response`: on the response's episode, or on its subject (the client) when it
// names none; `detail` is the sentence people read.
inline Alert StoredAlert(OrgId org, const Response& response, const monitor::RaisedAlert& raised,
                         std::string detail) {
  Alert a;
  a.org_id = org;
  if (response.episode_id) {
    a.episode_id = *response.episode_id;
  } else {
    a.client_id = response.subject_id;
  }
  a.kind = raised.kind;
  a.severity = raised.severity;
  a.detail = std::move(detail);
  a.evidence = raised.evidence;
  return a;
}

}  // namespace attune::service
