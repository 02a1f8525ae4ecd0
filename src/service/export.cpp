// Exports: responses with item-level columns, scores with scale-level columns; CSV or JSON;
// optionally de-identified for research (docs/cli.md).

#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <sodium.h>

#include <array>
#include <ostream>
#include <sstream>
#include <unordered_map>

#include "attune/service/service.hpp"
#include "service/csv.hpp"

namespace attune::service {
namespace {

// Keyed-hash pseudonyms: the same id gets the same pseudonym within one export.
class Pseudonyms {
 public:
  Pseudonyms(const std::string& salt, OrgId org) : org_(org) {
    if (salt.empty()) {
      std::array<unsigned char, 32> random{};
      randombytes_buf(random.data(), random.size());
      key_.assign(reinterpret_cast<const char*>(random.data()), random.size());
    } else {
      key_ = salt;
    }
  }
  std::string Of(const char* kind, long long id) {
    std::string input = key_ + '\x1f' + std::to_string(org_) + '\x1f' + kind + '\x1f' + std::to_string(id);
    std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
    crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(input.data()), input.size());
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out(kind, 1);
    out += '-';
    for (std::size_t i = 0; i < 8; ++i) {
      out += kHex[digest[i] >> 4];
      out += kHex[digest[i] & 0x0f];
    }
    return out;
  }

 private:
  std::string key_;
  OrgId org_;
};

std::string Number(double value) {
  if (value == static_cast<double>(static_cast<long long>(value))) {
    return std::to_string(static_cast<long long>(value));
  }
  return fmt::format("{}", value);
}

// A JSON row as text, bytes that are not UTF-8 written as U+FFFD.
std::string Json(const nlohmann::json& row) { return row.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

struct Identity {
  // The response id as written: its pseudonym when de-identified (the raw id would link two
  // exports made with different salts), else the number.
  nlohmann::json response;
  std::string respondent, subject, episode, session, answered_at, key;
  std::string ResponseText() const { return response.is_string() ? response.get<std::string>() : response.dump(); }
};

Identity Identify(const Response& r, const ExportOptions& options, Pseudonyms& pseudonyms) {
  Identity id;
  if (options.deidentify) {
    id.response = pseudonyms.Of("r", r.id);
    id.respondent = pseudonyms.Of(r.respondent == RespondentKind::THERAPIST ? "t" : "c", r.respondent_id);
    // A therapist's self-report is about the therapist: the same pseudonym as its respondent.
    // Any other response is about a client: the client's pseudonym, the same as when they answer.
    id.subject = IsTherapistSelfReport(r) ? id.respondent : pseudonyms.Of("c", r.subject_id);
    if (r.episode_id) id.episode = pseudonyms.Of("e", *r.episode_id);
    if (r.session_id) id.session = pseudonyms.Of("v", *r.session_id);
    id.answered_at = r.answered_at.substr(0, 10);
  } else {
    id.response = r.id;
    id.respondent = std::to_string(r.respondent_id);
    id.subject = std::to_string(r.subject_id);
    if (r.episode_id) id.episode = std::to_string(*r.episode_id);
    if (r.session_id) id.session = std::to_string(*r.session_id);
    id.answered_at = r.answered_at;
    id.key = r.idempotency_key;
  }
  return id;
}

// The rows of an export (CSV lines or JSON array elements), written as they come when identified.
// De-identified, they are held and written sorted by subject pseudonym, date and response
// pseudonym: in the store's order (response id order) a row's position would give its raw id and
// link two exports made with different keys. Holding them costs the export's size in memory.
// JSON rows are written with bytes that are not UTF-8 (a key stored before the doors refused them)
// as U+FFFD (Json): one bad row must not fail the organisation's export.
class Rows {
 public:
  Rows(std::ostream& out, bool json, bool sorted) : out_(out), json_(json), sorted_(sorted) {
    if (json_) out_ << "[\n";
  }
  void Add(const Identity& id, std::string row) {
    if (!sorted_) {
      Write(row);
      return;
    }
    held_.push_back({id.subject + '\x1f' + id.answered_at + '\x1f' + id.ResponseText(), std::move(row)});
  }
  void Close() {
    // Stable: the score rows of one response keep their scale order.
    std::stable_sort(held_.begin(), held_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [key, row] : held_) Write(row);
    held_.clear();
    if (json_) out_ << (first_ ? "]\n" : "\n]\n");
  }

 private:
  void Write(const std::string& row) {
    if (json_) {
      out_ << (first_ ? "" : ",\n") << row;
    } else {
      out_ << row << '\n';
    }
    first_ = false;
  }
  std::ostream& out_;
  bool json_, sorted_, first_ = true;
  std::vector<std::pair<std::string, std::string>> held_;
};

}  // namespace

Result<std::int64_t> Service::ExportResponses(OrgId org, std::ostream& out, const ExportOptions& options) {
  const instruments::Instrument* instrument = nullptr;
  if (!options.instrument_id.empty()) {
    auto found = catalogue_.Get(options.instrument_id);
    if (!found) return found.error();
    instrument = *found;
  }
  Pseudonyms pseudonyms(options.salt, org);
  std::int64_t written = 0;
  const bool json = options.format != Format::CSV;
  if (!json) {
    out << "response_id,instrument,instrument_version,respondent,respondent_id,subject_id,episode_id,"
           "session_id,answered_at";
    if (!options.deidentify) out << ",key";
    if (instrument != nullptr) {
      for (const auto& item : instrument->items) out << ',' << detail::CsvField(item.id);
    } else {
      out << ",answers";
    }
    out << '\n';
  }
  Rows rows(out, json, options.deidentify);
  auto visited = store_.ForEachResponse(org, [&](const Response& r) {
    if (instrument != nullptr && r.instrument_id != instrument->id) return;
    Identity id = Identify(r, options, pseudonyms);
    ++written;
    if (json) {
      nlohmann::json row = {{"response_id", id.response},
                            {"instrument", r.instrument_id},
                            {"instrument_version", r.instrument_version},
                            {"respondent", store::RespondentName(r.respondent)},
                            {"respondent_id", id.respondent},
                            {"subject_id", id.subject},
                            {"episode_id", id.episode.empty() ? nlohmann::json() : nlohmann::json(id.episode)},
                            {"session_id", id.session.empty() ? nlohmann::json() : nlohmann::json(id.session)},
                            {"answered_at", id.answered_at}};
      if (!options.deidentify) row["key"] = id.key;
      nlohmann::json answers = instrument != nullptr ? nlohmann::json::object() : nlohmann::json::array();
      for (std::size_t i = 0; i < r.answers.size(); ++i) {
        nlohmann::json value = r.answers[i] ? nlohmann::json(*r.answers[i]) : nlohmann::json();
        if (instrument != nullptr && i < instrument->items.size()) {
          answers[instrument->items[i].id] = value;
        } else {
          answers.push_back(value);
        }
      }
      row["answers"] = std::move(answers);
      rows.Add(id, Json(row));
      return;
    }
    std::ostringstream line;
    line << id.ResponseText() << ',' << detail::CsvField(r.instrument_id) << ',' << detail::CsvField(r.instrument_version)
         << ',' << store::RespondentName(r.respondent) << ',' << id.respondent << ',' << id.subject << ','
         << id.episode << ',' << id.session << ',' << detail::CsvField(id.answered_at);
    if (!options.deidentify) line << ',' << detail::CsvField(id.key);
    if (instrument != nullptr) {
      for (const auto& answer : r.answers) {
        line << ',';
        if (answer) line << Number(*answer);
      }
    } else {
      std::string joined;
      for (std::size_t i = 0; i < r.answers.size(); ++i) {
        if (i > 0) joined += ';';
        if (r.answers[i]) joined += Number(*r.answers[i]);
      }
      line << ',' << joined;
    }
    rows.Add(id, line.str());
  });
  if (!visited) return visited.error();
  rows.Close();
  if (!out) return Fail(ErrorCode::IO, "writing the export failed", "output");
  return written;
}

Result<std::int64_t> Service::ExportScores(OrgId org, std::ostream& out, const ExportOptions& options) {
  // Response facts by id, then a merge with the scores (both visited in response id order).
  struct Facts {
    Id id;
    std::string instrument;
    Identity identity;
  };
  Pseudonyms pseudonyms(options.salt, org);
  std::vector<Facts> facts;
  auto visited = store_.ForEachResponse(org, [&](const Response& r) {
    if (!options.instrument_id.empty() && r.instrument_id != options.instrument_id) return;
    facts.push_back({r.id, r.instrument_id, Identify(r, options, pseudonyms)});
  });
  if (!visited) return visited.error();
  const bool json = options.format != Format::CSV;
  if (!json) out << "response_id,instrument,subject_id,answered_at,scale,score,band,caseness,answered,prorated\n";
  Rows rows(out, json, options.deidentify);
  std::size_t at = 0;
  std::int64_t written = 0;
  auto scores = store_.ForEachScore(org, [&](const Score& s) {
    while (at < facts.size() && facts[at].id < s.response_id) ++at;
    if (at == facts.size() || facts[at].id != s.response_id) return;
    const Facts& f = facts[at];
    ++written;
    if (json) {
      rows.Add(f.identity, Json(nlohmann::json{{"response_id", f.identity.response},
                 {"instrument", f.instrument},
                 {"subject_id", f.identity.subject},
                 {"answered_at", f.identity.answered_at},
                 {"scale", s.scale_id},
                 {"score", s.value ? nlohmann::json(*s.value) : nlohmann::json()},
                 {"band", s.band},
                 {"caseness", s.caseness ? nlohmann::json(*s.caseness) : nlohmann::json()},
                 {"answered", s.answered},
                 {"prorated", s.prorated}}));
      return;
    }
    std::ostringstream line;
    line << f.identity.ResponseText() << ',' << detail::CsvField(f.instrument) << ',' << f.identity.subject << ','
         << detail::CsvField(f.identity.answered_at) << ',' << detail::CsvField(s.scale_id) << ','
         << (s.value ? Number(*s.value) : "") << ',' << detail::CsvField(s.band) << ','
         << (s.caseness ? (*s.caseness ? "1" : "0") : "") << ',' << s.answered << ',' << (s.prorated ? 1 : 0);
    rows.Add(f.identity, line.str());
  });
  if (!scores) return scores.error();
  rows.Close();
  if (!out) return Fail(ErrorCode::IO, "writing the export failed", "output");
  return written;
}

}  // namespace attune::service
