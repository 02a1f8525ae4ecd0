// CSV imports: therapists, clients, responses (columns in docs/cli.md). Refused rows are
// reported with line, column and reason; by default one refused row means nothing is written.

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>
#include <variant>

#include "attune/core/dates.hpp"
#include "attune/core/text.hpp"
#include "attune/service/service.hpp"
#include "service/csv.hpp"
#include "service/raised.hpp"
#include "service/today.hpp"

namespace attune::service {
namespace {

constexpr std::int64_t kProgressEvery = 100000;

// The name a column with no name in the header is kept under: a control character begins it, which
// no real column name may hold, so it never meets one. Spreadsheets save an empty column after the
// last named one ("a,b,c,"); its cells must stay empty (CheckRow).
constexpr char kUnnamed = '\x1f';

// Header: column name -> index; refuses unknown and repeated names, requires `required`.
Result<std::map<std::string, std::size_t>> ReadHeader(detail::CsvReader& csv,
                                                      const std::set<std::string>& known,
                                                      const std::vector<std::string>& required) {
  std::vector<std::string> fields;
  if (!csv.Next(fields) || (fields.size() == 1 && fields[0].empty())) {
    return Fail(ErrorCode::INVALID_ARGUMENT, "the file is empty; expected a header row", "header");
  }
  // A UTF-8 byte order mark (spreadsheets write one) is not part of the first column's name.
  if (fields[0].rfind("\xEF\xBB\xBF", 0) == 0) fields[0].erase(0, 3);
  std::map<std::string, std::size_t> columns;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (auto text = CheckText(fields[i], fmt::format("line 1, column {}: the column name", i + 1), TextLines::ONE);
        !text) {
      return Fail(ErrorCode::INVALID_ARGUMENT, text.error().message, "header");
    }
    if (fields[i].empty()) {
      columns.emplace(std::string(1, kUnnamed) + std::to_string(i + 1), i);
      continue;
    }
    if (!known.count(fields[i])) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("line 1, column {}: unknown column '{}'", i + 1, fields[i]), "header");
    }
    if (!columns.emplace(fields[i], i).second) {
      return Fail(ErrorCode::INVALID_ARGUMENT,
                  fmt::format("line 1, column {}: column '{}' repeated", i + 1, fields[i]), "header");
    }
  }
  for (const auto& name : required) {
    if (!columns.count(name)) {
      return Fail(ErrorCode::INVALID_ARGUMENT, fmt::format("line 1: required column '{}' is missing", name),
                  "header");
    }
  }
  return columns;
}

// `text` without the spaces and tabs a spreadsheet may leave around a cell or a list entry.
std::string_view TrimSpaces(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// A `;`-separated cell as its entries, each without the spaces around it ("panic; agoraphobia"
// is "panic" and "agoraphobia"); empty entries are left out.
std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    std::size_t end = text.find(';', start);
    if (end == std::string::npos) end = text.size();
    const std::string_view entry = TrimSpaces(std::string_view(text).substr(start, end - start));
    if (!entry.empty()) out.emplace_back(entry);
    start = end + 1;
  }
  return out;
}

// A number cell, with the spaces or tabs a spreadsheet may leave around it ("1 " is 1); nothing
// else may stand beside the number.
template <typename T>
bool ParseNumber(const std::string& text, T& out) {
  const std::string_view number = TrimSpaces(text);
  const char* last = number.data() + number.size();
  auto [end, ec] = std::from_chars(number.data(), last, out);
  return ec == std::errc() && end == last && !number.empty();
}

// A row that cannot be read as the header says: an unterminated quote, text after a closing
// quote, a field count different from the header's, or a field that is not UTF-8 text (a NUL or
// a control character other than tab and line breaks included; the store's checks refuse line
// breaks where a field is one line).
std::optional<RefusedRow> CheckRow(const detail::CsvReader& csv, const std::vector<std::string>& fields,
                                   const std::map<std::string, std::size_t>& columns) {
  if (csv.broken()) return RefusedRow{csv.line(), 0, "unterminated quoted field"};
  if (csv.stray() != 0) {
    return RefusedRow{csv.line(), csv.stray(),
                      "text after the closing quote; expected a comma or the end of the line (a quote inside a "
                      "quoted field is written twice: \"\")"};
  }
  if (fields.size() != columns.size()) {
    return RefusedRow{csv.line(), 0,
                      fmt::format("{} fields; expected {} as in the header", fields.size(), columns.size())};
  }
  for (const auto& [name, index] : columns) {
    if (name[0] == kUnnamed) {
      if (!fields[index].empty()) {
        return RefusedRow{csv.line(), index + 1,
                          fmt::format("a value under column {}, which has no name in the header; expected it empty "
                                      "or the column named",
                                      index + 1)};
      }
      continue;
    }
    if (auto text = CheckText(fields[index], name, TextLines::MANY); !text) {
      return RefusedRow{csv.line(), index + 1, text.error().message};
    }
  }
  return std::nullopt;
}

// One data row's cells by column name (absent columns read as empty).
struct Cells {
  const std::vector<std::string>& fields;
  const std::map<std::string, std::size_t>& columns;
  std::size_t line;

  const std::string& operator[](const std::string& name) const {
    static const std::string empty;
    auto it = columns.find(name);
    return it == columns.end() ? empty : fields[it->second];
  }
  //! 1-based column of `name`; 0 when absent.
  std::size_t Column(const std::string& name) const {
    auto it = columns.find(name);
    return it == columns.end() ? 0 : it->second + 1;
  }
  RefusedRow Refuse(const std::string& name, std::string reason) const {
    return {line, Column(name), std::move(reason)};
  }
};

// The loop the therapist and client imports share: each data row (blank lines skipped) is
// counted, checked for width, refused when a required cell is empty, built by `build` (a T, or
// the refusal of the row), checked by `check` (the store's rules for such a row, reported at the
// column of the field they name), refused when its value of the `unique` column repeats an earlier
// row's or one stored already, and kept; by default one refused row means `add` is never called.
// A unique column and the values the organisation already holds in it (its external ids).
struct UniqueColumn {
  std::string name;
  std::set<std::string> stored;
};

template <typename T, typename Build, typename Add>
Result<ImportReport> ImportRows(std::istream& in, const std::set<std::string>& known,
                                const std::vector<std::string>& required, UniqueColumn unique,
                                const ImportOptions& options, Build build, Result<void> (*check)(const T&), Add add) {
  detail::CsvReader csv(in);
  auto columns = ReadHeader(csv, known, required);
  if (!columns) return columns.error();
  ImportReport report;
  std::vector<T> rows;
  std::vector<std::string> fields;
  std::map<std::string, std::size_t> seen;  // unique value -> its line
  while (csv.Next(fields)) {
    if (fields.size() == 1 && fields[0].empty()) continue;
    ++report.rows;
    if (auto bad = CheckRow(csv, fields, *columns)) {
      report.refused.push_back(*bad);
      continue;
    }
    const Cells cells{fields, *columns, csv.line()};
    auto empty = std::find_if(required.begin(), required.end(), [&](const auto& name) { return cells[name].empty(); });
    if (empty != required.end()) {
      report.refused.push_back(cells.Refuse(*empty, fmt::format("{} is empty", *empty)));
      continue;
    }
    std::variant<T, RefusedRow> built = build(cells);
    if (auto* refused = std::get_if<RefusedRow>(&built)) {
      report.refused.push_back(std::move(*refused));
      continue;
    }
    if (auto checked = check(std::get<T>(built)); !checked) {
      const std::string& field = checked.error().field;  // "constraints[2]" is in column constraints
      report.refused.push_back(cells.Refuse(field.substr(0, field.find('[')), checked.error().message));
      continue;
    }
    // A value taken already, or by an earlier row, is refused here (by line), not by the database
    // for the whole file.
    const std::string& value = cells[unique.name];
    if (auto it = seen.find(value); it != seen.end()) {
      report.refused.push_back(cells.Refuse(
          unique.name, fmt::format("{} '{}' repeats line {}; expected a value of its own", unique.name, value,
                                   it->second)));
      continue;
    }
    if (unique.stored.count(value)) {
      report.refused.push_back(cells.Refuse(
          unique.name, fmt::format("{} '{}' is already taken in the organisation; expected a new one", unique.name,
                                   value)));
      continue;
    }
    seen.emplace(value, csv.line());
    rows.push_back(std::move(std::get<T>(built)));
  }
  if ((!report.refused.empty() && !options.partial) || rows.empty()) return report;
  auto added = add(rows);
  if (!added) return added.error();
  report.imported = static_cast<std::int64_t>(added->size());
  return report;
}

}  // namespace

Result<ImportReport> Service::ImportTherapists(OrgId org, std::istream& in, const ImportOptions& options,
                                               const store::Actor& actor) {
  UniqueColumn unique{"external_id", {}};
  ATTUNE_TRY(stored, store_.ListTherapists(org));
  for (const auto& t : stored) unique.stored.insert(t.external_id);
  return ImportRows<Therapist>(
      in,
      {"external_id", "display_name", "approaches", "languages", "modality", "location", "capacity", "accepting",
       "client_visible"},
      {"external_id", "display_name"}, std::move(unique), options,
      [](const Cells& cells) -> std::variant<Therapist, RefusedRow> {
        Therapist t;
        t.external_id = cells["external_id"];
        t.display_name = cells["display_name"];
        t.approaches = SplitList(cells["approaches"]);
        t.languages = SplitList(cells["languages"]);
        t.modality = cells["modality"];
        t.location = cells["location"];
        t.client_visible = SplitList(cells["client_visible"]);
        const std::string& capacity = cells["capacity"];
        if (!capacity.empty() && (!ParseNumber(capacity, t.capacity) || t.capacity < 0)) {
          return cells.Refuse("capacity", fmt::format("capacity '{}' is not a whole number >= 0", capacity));
        }
        // Read as a number cell is: the spaces or tabs around it are not part of it.
        const std::string_view accepting = TrimSpaces(cells["accepting"]);
        if (!cells["accepting"].empty() && accepting != "0" && accepting != "1") {
          return cells.Refuse("accepting", fmt::format("accepting '{}' is not 0 or 1", cells["accepting"]));
        }
        t.accepting = accepting != "0";
        return t;
      },
      store::CheckTherapist,
      [&](const std::vector<Therapist>& rows) { return store_.AddTherapists(org, rows, actor); });
}

Result<ImportReport> Service::ImportClients(OrgId org, std::istream& in, const ImportOptions& options,
                                            const store::Actor& actor) {
  UniqueColumn unique{"external_id", {}};
  ATTUNE_TRY(stored, store_.ListClients(org));
  for (const auto& c : stored) unique.stored.insert(c.external_id);
  return ImportRows<Client>(
      in, {"external_id", "pseudonym", "concerns", "goals", "constraints"}, {"external_id", "pseudonym"},
      std::move(unique), options,
      [](const Cells& cells) -> std::variant<Client, RefusedRow> {
        Client c;
        c.external_id = cells["external_id"];
        c.pseudonym = cells["pseudonym"];
        c.concerns = SplitList(cells["concerns"]);
        c.goals = SplitList(cells["goals"]);
        c.constraints = SplitList(cells["constraints"]);
        return c;
      },
      store::CheckClient, [&](const std::vector<Client>& rows) { return store_.AddClients(org, rows, actor); });
}

Result<ImportReport> Service::ImportResponses(OrgId org, std::istream& in, const ImportOptions& options,
                                              const store::Actor& actor) {
  if (options.instrument_id.empty()) {
    return Fail(ErrorCode::INVALID_ARGUMENT, "--instrument is empty; expected the instrument of every row",
                "instrument");
  }
  auto found = catalogue_.GetForUse(options.instrument_id, use_);
  if (!found) return found.error();
  const instruments::Instrument& instrument = **found;
  const std::size_t n = instrument.items.size();

  detail::CsvReader csv(in);
  std::set<std::string> known = {"key", "subject_id", "respondent_id", "episode_id", "session_id", "answered_at"};
  std::vector<std::string> required = {"key", "subject_id", "answered_at"};
  for (const auto& item : instrument.items) {
    known.insert(item.id);
    required.push_back(item.id);
  }
  auto header = ReadHeader(csv, known, required);
  if (!header) return header.error();
  const auto& columns = *header;
  const std::size_t key_col = columns.at("key");
  const std::size_t subject_col = columns.at("subject_id");
  const std::size_t at_col = columns.at("answered_at");
  auto optional_col = [&](const char* name) -> std::optional<std::size_t> {
    auto it = columns.find(name);
    if (it == columns.end()) return std::nullopt;
    return it->second;
  };
  const auto respondent_col = optional_col("respondent_id");
  const auto episode_col = optional_col("episode_id");
  const auto session_col = optional_col("session_id");
  std::vector<std::size_t> item_col(n);
  for (std::size_t i = 0; i < n; ++i) item_col[i] = columns.at(instrument.items[i].id);

  // What the rows may name: the organisation's clients, therapists, episodes (with their client)
  // and, read per episode as rows name them, sessions (with their episode).
  std::set<Id> clients, therapists;
  std::map<Id, Id> episode_client;
  std::map<Id, std::string> episode_status;
  std::map<Id, Id> episode_therapist;
  std::map<Id, Episode> episode_rows;
  std::map<Id, std::set<Id>> episode_sessions;
  {
    ATTUNE_TRY(rows, store_.ListClients(org));
    for (const auto& c : rows) clients.insert(c.id);
    ATTUNE_TRY(staff, store_.ListTherapists(org));
    for (const auto& t : staff) therapists.insert(t.id);
    ATTUNE_TRY(episodes, store_.ListEpisodes(org));
    for (const auto& e : episodes) {
      episode_client[e.id] = e.client_id;
      episode_status[e.id] = e.status;
      episode_therapist[e.id] = e.therapist_id;
      episode_rows[e.id] = e;
    }
  }
  const bool therapist_form = instrument.respondent == instruments::Respondent::THERAPIST;
  std::unordered_map<std::string, std::size_t> keys_seen;  // key -> its line
  // Keys stored before are looked up only when there are any (a first import pays nothing).
  ATTUNE_TRY(stored_count, store_.CountResponses(org));
  const bool any_stored = stored_count > 0;

  ImportReport report;
  std::int64_t risk_alerts = 0;  // raised by the rows passed to the store (stored only if all of them are)
  bool stopped_for_refusals = false;
  std::vector<std::string> fields;
  std::vector<double> values(n);
  std::vector<unsigned char> present(n);
  instruments::ScoreResult scored;
  const Error refusals_error{ErrorCode::INVALID_ARGUMENT, "refused rows", "rows"};

  // Parses one data row into `out`; a refused row is recorded and false returned.
  auto parse = [&](store::ScoredResponse& out) -> bool {
    auto refuse = [&](std::size_t column, std::string reason) {
      report.refused.push_back({csv.line(), column, std::move(reason)});
      return false;
    };
    if (auto bad = CheckRow(csv, fields, columns)) {
      report.refused.push_back(*bad);
      return false;
    }
    Response& r = out.response;
    r.idempotency_key = fields[key_col];
    if (r.idempotency_key.empty()) return refuse(key_col + 1, "key is empty");
    // A key repeated in the file, or stored already, is refused by line, not for the whole file.
    if (auto it = keys_seen.find(r.idempotency_key); it != keys_seen.end()) {
      return refuse(key_col + 1, fmt::format("key '{}' repeats line {}; expected a key of its own",
                                             r.idempotency_key, it->second));
    }
    if (auto stored = any_stored ? store_.FindResponseByKey(org, r.idempotency_key)
                                 : Result<std::optional<Response>>(std::nullopt);
        !stored || *stored) {
      return refuse(key_col + 1, stored ? fmt::format("key '{}' is already stored (response {}); expected a new key",
                                                      r.idempotency_key, (*stored)->id)
                                        : stored.error().message);
    }
    keys_seen.emplace(r.idempotency_key, csv.line());
    long long id = 0;
    if (!ParseNumber(fields[subject_col], id)) {
      return refuse(subject_col + 1, fmt::format("subject_id '{}' is not a whole number", fields[subject_col]));
    }
    r.subject_id = id;
    std::optional<Id> given_respondent;
    if (respondent_col && !fields[*respondent_col].empty()) {
      if (!ParseNumber(fields[*respondent_col], id)) {
        return refuse(*respondent_col + 1,
                      fmt::format("respondent_id '{}' is not a whole number", fields[*respondent_col]));
      }
      given_respondent = id;
    }
    r.episode_id.reset();
    r.session_id.reset();
    for (auto [col, target, name] : {std::tuple{episode_col, &r.episode_id, "episode_id"},
                                     std::tuple{session_col, &r.session_id, "session_id"}}) {
      if (!col || fields[*col].empty()) continue;
      if (!ParseNumber(fields[*col], id)) {
        return refuse(*col + 1, fmt::format("{} '{}' is not a whole number", name, fields[*col]));
      }
      *target = id;
    }
    // The same rule as a submission (IsTherapistSelfReport): a therapist's form outside an
    // episode is about that therapist; every other row is about a client, in that client's episode.
    if (therapist_form && !r.episode_id) {
      if (!therapists.count(r.subject_id)) {
        return refuse(subject_col + 1, fmt::format("subject_id {} is not a therapist answering about themself "
                                                   "(a rating of a client needs its episode_id)",
                                                   r.subject_id));
      }
    } else if (!clients.count(r.subject_id)) {
      return refuse(subject_col + 1, fmt::format("subject_id {} is not a client of this organisation", r.subject_id));
    }
    if (r.episode_id) {
      auto episode = episode_client.find(*r.episode_id);
      if (episode == episode_client.end()) {
        return refuse(*episode_col + 1, fmt::format("episode_id {} is not an episode of this organisation", *r.episode_id));
      }
      if (episode->second != r.subject_id) {
        return refuse(*episode_col + 1, fmt::format("episode_id {} belongs to client {}, not subject {}",
                                                    *r.episode_id, episode->second, r.subject_id));
      }
      // As a submission: a form belongs to therapy that began (docs/api.md).
      if (const std::string& status = episode_status[*r.episode_id]; status == "waiting" || status == "declined") {
        return refuse(*episode_col + 1, fmt::format("episode_id {} is {}; expected an active or ended episode",
                                                    *r.episode_id, status));
      }
    }
    // The respondent as a submission has it (Clinic::SubmitResponse): a client's form is answered
    // by the client, a therapist's in an episode by the episode's therapist, outside one by the
    // therapist it is about. A respondent_id given is checked against it, not taken in its place.
    r.respondent_id = therapist_form && r.episode_id ? episode_therapist[*r.episode_id] : r.subject_id;
    if (given_respondent && *given_respondent != r.respondent_id) {
      return refuse(*respondent_col + 1,
                    fmt::format("respondent_id {} is not who answers this form; expected {} ({})", *given_respondent,
                                r.respondent_id,
                                !therapist_form ? "the client, subject_id"
                                : r.episode_id  ? fmt::format("the therapist of episode {}", *r.episode_id)
                                                : "the therapist reporting about themself, subject_id"));
    }
    if (r.session_id) {
      if (!r.episode_id) {
        return refuse(*session_col + 1,
                      fmt::format("session_id {} is given without episode_id; expected the episode it belongs to",
                                  *r.session_id));
      }
      auto [listed, fresh] = episode_sessions.try_emplace(*r.episode_id);
      if (fresh) {
        auto sessions = store_.ListSessions(org, *r.episode_id);
        if (!sessions) return refuse(*session_col + 1, sessions.error().message);
        for (const auto& v : *sessions) listed->second.insert(v.id);
      }
      if (!listed->second.count(*r.session_id)) {
        return refuse(*session_col + 1,
                      fmt::format("session_id {} is not a session of episode {}", *r.session_id, *r.episode_id));
      }
    }
    if (fields[at_col].empty()) return refuse(at_col + 1, "answered_at is empty");
    if (!IsTimestamp(fields[at_col])) {
      return refuse(at_col + 1, fmt::format("answered_at '{}' is not an RFC 3339 time (2026-11-27T10:50:00Z, seconds "
                                            "00-59) or a date (YYYY-MM-DD)",
                                            fields[at_col]));
    }
    r.answered_at = NormalizeTimestamp(fields[at_col]);
    // As a submission: a form is answered before it is sent, so not in the future.
    if (auto latest = AfterLatestDone(r.answered_at)) {
      return refuse(at_col + 1, fmt::format("answered_at '{}' is in the future; expected the time the form was "
                                            "answered ({} at the latest)",
                                            fields[at_col], *latest));
    }
    if (r.episode_id) {
      if (auto before = AnsweredBeforeStart(r.answered_at, episode_rows[*r.episode_id])) {
        return refuse(at_col + 1, "answered_at is " + *before);
      }
    }
    r.answers.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::string& cell = fields[item_col[i]];
      if (cell.empty()) {
        present[i] = 0;
        values[i] = 0;
        r.answers[i].reset();
        continue;
      }
      if (!ParseNumber(cell, values[i])) {
        return refuse(item_col[i] + 1, fmt::format("{} '{}' is not a number", instrument.items[i].id, cell));
      }
      present[i] = 1;
      r.answers[i] = values[i];
    }
    if (std::none_of(present.begin(), present.end(), [](unsigned char p) { return p != 0; })) {
      return refuse(item_col[0] + 1, fmt::format("no item is answered; expected at least one of the {} items", n));
    }
    auto ok = instruments::ScoreInto(instrument, values, present, scored);
    if (!ok) {
      std::size_t column = 0;
      if (auto index = instrument.ItemIndex(ok.error().field)) column = item_col[*index] + 1;
      return refuse(column, ok.error().message);
    }
    // Stored as scored: an answer within the tolerance of an option is that option's value.
    for (std::size_t i = 0; i < n; ++i) {
      if (present[i]) r.answers[i] = scored.values[i];
    }
    r.instrument_id = instrument.id;
    r.instrument_version = instrument.version;
    r.respondent = instrument.respondent == instruments::Respondent::THERAPIST ? RespondentKind::THERAPIST
                                                                               : RespondentKind::CLIENT;
    // A risk answer raises its urgent alert as a submission would (docs/monitor.md), on the
    // episode, or outside one on the client for the coordinators; the other rules need the
    // episode's history in order and are not run on imports.
    out.alerts.clear();
    if (!scored.flags.empty() && (r.episode_id || !therapist_form)) {
      const monitor::Observation observation = monitor::MakeObservation(instrument, scored, 0, 0);
      for (const auto& raised : monitor::RiskAlerts(observation)) {
        out.alerts.push_back(StoredAlert(org, r, raised,
                                         fmt::format("{} (imported; answered {}{})", raised.detail, r.answered_at,
                                                     r.episode_id ? "" : ", outside an episode")));
      }
      risk_alerts += static_cast<std::int64_t>(out.alerts.size());
    }
    out.scores.resize(scored.scales.size());
    for (std::size_t s = 0; s < scored.scales.size(); ++s) {
      const auto& scale = scored.scales[s];
      Score& row = out.scores[s];
      row.scale_id = instrument.scales[scale.scale].id;
      row.value = scale.score;
      row.band = scale.band != nullptr ? scale.band->label : "";
      row.caseness = scale.caseness;
      row.answered = static_cast<int>(scale.answered);
      row.prorated = scale.prorated;
    }
    return true;
  };

  store::ResponseSource next = [&](store::ScoredResponse& out) -> Result<bool> {
    while (csv.Next(fields)) {
      if (fields.size() == 1 && fields[0].empty()) continue;
      ++report.rows;
      if (options.progress && report.rows % kProgressEvery == 0) options.progress(report.rows);
      if (parse(out)) return true;
    }
    if (!report.refused.empty() && !options.partial) {
      stopped_for_refusals = true;
      return refusals_error;
    }
    return false;
  };
  auto imported = store_.ImportResponses(org, next, options.source, actor);
  if (options.progress) options.progress(report.rows);
  if (!imported) {
    if (stopped_for_refusals) return report;
    return imported.error();
  }
  report.imported = *imported;
  report.risk_alerts = risk_alerts;
  return report;
}

}  // namespace attune::service
