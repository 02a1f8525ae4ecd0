// attune episode list|open|confirm|decline|end (docs/cli.md): an episode's course from the
// command line, with the rules the API's coordinator routes keep (attune/service/episodes.hpp).
#include <fmt/core.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "attune/service/episodes.hpp"
#include "attune/service/json.hpp"
#include "cli/commands.hpp"
#include "cli/db_target.hpp"
#include "cli/options.hpp"

namespace attune::cli {
namespace {

using nlohmann::json;

struct EpisodeArgs {
  DbTarget target;
  bool json = false;
  std::string actor = "cli";
};

std::string EpisodeLine(const Episode& e) {
  return fmt::format("{:>6}  client {:<6} therapist {:<6} {:<8} {} to {}  {}{}", e.id, e.client_id, e.therapist_id,
                     e.status, e.started_on, e.ended_on.empty() ? "-" : e.ended_on, e.assigned_by,
                     e.note.empty() ? "" : "  (" + e.note + ")");
}

// Opens the database and runs `work` for the organisation; prints the episode it returns.
template <typename Work>
int WithStore(const EpisodeArgs& args, Work work) {
  auto store = store::Store::Open(ToTarget(args.target), {.migrate = true, .create = false});
  if (!store) return ReportError(store.error());
  auto org = ResolveOrg(*store, args.target);
  if (!org) return ReportError(org.error());
  Result<Episode> done = work(*store, *org, store::Actor{args.actor});
  if (!done) return ReportError(done.error());
  fmt::print("{}\n", args.json ? service::ToJson(*done).dump(2) : EpisodeLine(*done));
  return 0;
}

int RunList(const EpisodeArgs& args, const std::string& status) {
  auto store = store::Store::Open(ToTarget(args.target), {.migrate = true, .create = false});
  if (!store) return ReportError(store.error());
  auto org = ResolveOrg(*store, args.target);
  if (!org) return ReportError(org.error());
  auto episodes = store->ListEpisodes(*org);
  if (!episodes) return ReportError(episodes.error());
  if (!status.empty()) std::erase_if(*episodes, [&](const Episode& e) { return e.status != status; });
  if (args.json) {
    json j = json::array();
    for (const auto& e : *episodes) j.push_back(service::ToJson(e));
    fmt::print("{}\n", j.dump(2));
    return 0;
  }
  for (const auto& e : *episodes) fmt::print("{}\n", EpisodeLine(e));
  fmt::print("{} episode{}\n", episodes->size(), episodes->size() == 1 ? "" : "s");
  return 0;
}

void AddCommon(CLI::App* c, EpisodeArgs& args) {
  AddDbOptions(c, args.target);
  AddOrgOption(c, args.target);
  StoredText(NotBlank(c->add_option("--actor", args.actor, "Who, for the audit log (default cli)")));
  c->add_flag("--json", args.json, "JSON output");
}

}  // namespace

void AddEpisodeCommands(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("episode", "An episode's course: confirm or decline a client's choice, end therapy "
                                              "(docs/api.md \"Episodes\")");
  group->require_subcommand(1);
  {
    auto args = std::make_shared<EpisodeArgs>();
    auto status = std::make_shared<std::string>();
    auto* c = group->add_subcommand("list", "The organisation's episodes, by id");
    AddCommon(c, *args);
    OneOf(c->add_option("--status", *status, "Only waiting, active, ended or declined episodes"),
          {"waiting", "active", "ended", "declined"});
    c->callback([&ctx, args, status] { ctx.exit_code = RunList(*args, *status); });
  }
  {
    auto args = std::make_shared<EpisodeArgs>();
    auto episode = std::make_shared<Episode>();
    auto overbook = std::make_shared<bool>(false);
    auto* c = group->add_subcommand("open", "Open an episode (a coordinator's assignment), checked as POST /episodes");
    AddCommon(c, *args);
    c->add_option("--client", episode->client_id, "Client id")->required();
    c->add_option("--therapist", episode->therapist_id, "Therapist id")->required();
    c->add_option("--started-on", episode->started_on, "First day (YYYY-MM-DD; default today), not after today");
    OneOf(c->add_option("--status", episode->status, "waiting, active (default) or ended"),
          {"waiting", "active", "ended"});
    c->add_option("--ended-on", episode->ended_on, "Last day of an ended episode (YYYY-MM-DD)");
    // A note given is a reason written down: blank is refused, as by monitor ack.
    StoredText(NotBlank(c->add_option("--note", episode->note, "Why it ended (an ended episode)")), TextLines::MANY);
    c->add_flag("--overbook", *overbook, "Even when the therapist is full or not accepting (audited)");
    c->callback([&ctx, args, episode, overbook] {
      episode->assigned_by = "coordinator";
      ctx.exit_code = WithStore(*args, [&](store::Store& store, OrgId org, const store::Actor& actor) {
        return service::OpenEpisode(store, org, *episode, *overbook, actor);
      });
    });
  }
  // confirm, decline, end: one id and a decision.
  struct Move {
    const char* name;
    const char* help;
    const char* date_help;
    bool note_required;
    bool overbook;
    Result<Episode> (*run)(store::Store&, OrgId, Id, const service::EpisodeDecision&, const store::Actor&);
  };
  const Move moves[] = {
      {"confirm", "Confirm a client's choice: waiting -> active, checked against the client's constraints, "
                  "accepting and capacity",
       "First day of therapy (YYYY-MM-DD; default today), not before the choice nor after today", false, true,
       &service::ConfirmEpisode},
      {"decline", "Decline a client's choice, or record that they withdrew it: waiting -> declined (the client is "
                  "back on the waitlist)",
       "Day of the decision (YYYY-MM-DD; default today)", true, false, &service::DeclineEpisode},
      {"end", "End therapy: active -> ended",
       "Last day (YYYY-MM-DD; default today), not before it started nor after today", false, false,
       &service::EndEpisode},
  };
  for (const Move& move : moves) {
    auto args = std::make_shared<EpisodeArgs>();
    auto id = std::make_shared<long long>(0);
    auto decision = std::make_shared<service::EpisodeDecision>();
    auto* c = group->add_subcommand(move.name, move.help);
    c->add_option("id", *id, "Episode id")->required();
    AddCommon(c, *args);
    c->add_option("--on", decision->on, move.date_help);
    auto* note = StoredText(
        NotBlank(c->add_option("--note", decision->note, move.note_required ? "Why (required)" : "Why")),
        TextLines::MANY);
    if (move.note_required) note->required();
    if (move.overbook) {
      c->add_flag("--overbook", decision->overbook, "Even when the therapist is full or not accepting (audited)");
    }
    const auto run = move.run;
    c->callback([&ctx, args, id, decision, run] {
      ctx.exit_code = WithStore(*args, [&](store::Store& store, OrgId org, const store::Actor& actor) {
        return run(store, org, *id, *decision, actor);
      });
    });
  }
}

}  // namespace attune::cli
