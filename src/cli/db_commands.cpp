// attune db init|migrate|status|backup|restore, attune audit verify and attune org show|set
// (docs/cli.md).
#include <fmt/core.h>

#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>

#include "attune/store/store.hpp"
#include "cli/commands.hpp"
#include "cli/db_target.hpp"
#include "cli/options.hpp"

namespace attune::cli {

void AddDbOptions(CLI::App* command, DbTarget& target) {
  auto* db = command->add_option("--db", target.db, "SQLite database file");
  auto* pg = command->add_option("--pg", target.pg, "PostgreSQL URL (postgresql://user@host:port/db)");
  db->excludes(pg);
  pg->excludes(db);
  // Without either the store would say "--db is empty", as if one had been given blank.
  command->parse_complete_callback([db, pg] {
    if (db->count() == 0 && pg->count() == 0) {
      throw OptionValueError("--db FILE or --pg URL is required; expected the database to work on");
    }
  });
}

void AddOrgOption(CLI::App* command, DbTarget& target) {
  InRange(command->add_option("--org", target.org, "Organisation id (default: the only one)"), 1,
          std::numeric_limits<double>::infinity());
}

store::Target ToTarget(const DbTarget& target) {
  return target.pg.empty() ? store::Target::Sqlite(target.db) : store::Target::Postgres(target.pg);
}

Result<OrgId> ResolveOrg(store::Store& store, const DbTarget& target) {
  auto orgs = store.ListOrganisations();
  if (!orgs) return orgs.error();
  if (target.org != 0) {
    for (const auto& org : *orgs) {
      if (org.id == target.org) return org.id;
    }
    return Fail(ErrorCode::NOT_FOUND, fmt::format("--org {} does not exist", target.org), "org");
  }
  if (orgs->size() == 1) return orgs->front().id;
  if (orgs->empty()) {
    return Fail(ErrorCode::NOT_FOUND,
                "the database has no organisation; create one with attune db init --org NAME", "org");
  }
  return Fail(ErrorCode::INVALID_ARGUMENT,
              fmt::format("the database has {} organisations; choose one with --org", orgs->size()),
              "org");
}

namespace {

struct DbArgs {
  DbTarget target;
  std::string org_name;
  std::string file;
};

std::string Describe(const DbTarget& t) { return t.pg.empty() ? t.db : "the PostgreSQL database"; }

int RunInit(const DbArgs& args) {
  auto store = store::Store::Open(ToTarget(args.target), {.migrate = false, .create = true});
  if (!store) return ReportError(store.error());
  auto applied = store->Migrate();
  if (!applied) return ReportError(applied.error());
  for (const auto& m : *applied) fmt::print("applied {:03}_{}\n", m.version, m.name);
  if (!args.org_name.empty()) {
    auto org = store->CreateOrganisation(args.org_name, {"cli"});
    if (!org) return ReportError(org.error());
    fmt::print("created organisation {} \"{}\"\n", *org, args.org_name);
  }
  fmt::print("{} is ready\n", Describe(args.target));
  return 0;
}

int RunMigrate(const DbArgs& args) {
  auto store = store::Store::Open(ToTarget(args.target), {.migrate = false, .create = false});
  if (!store) return ReportError(store.error());
  auto applied = store->Migrate();
  if (!applied) return ReportError(applied.error());
  for (const auto& m : *applied) fmt::print("applied {:03}_{}\n", m.version, m.name);
  if (applied->empty()) fmt::print("up to date\n");
  return 0;
}

int RunStatus(const DbArgs& args) {
  auto store = store::Store::Open(ToTarget(args.target), {.migrate = false, .create = false});
  if (!store) return ReportError(store.error());
  auto status = store->Status();
  if (!status) return ReportError(status.error());
  for (const auto& m : status->applied) fmt::print("applied  {:03}_{}\n", m.version, m.name);
  for (const auto& m : status->pending) fmt::print("pending  {:03}_{}\n", m.version, m.name);
  auto check = store->IntegrityCheck();
  if (!check) return ReportError(check.error());
  fmt::print("backend {}; integrity {}\n", store::BackendName(store->backend()), *check);
  if (*check != "ok") return static_cast<int>(Exit::FAILURE);
  return status->pending.empty() ? 0 : static_cast<int>(Exit::PARTIAL);
}

int RunBackup(const DbArgs& args) {
  std::error_code ec;
  if (std::filesystem::is_directory(args.file, ec)) {
    return ReportError(Error{ErrorCode::INVALID_ARGUMENT,
                             fmt::format("file: \"{}\" is a directory; expected the name of a backup file", args.file),
                             "file"});
  }
  auto store = store::Store::Open(ToTarget(args.target), {.migrate = false, .create = false});
  if (!store) return ReportError(store.error());
  auto made = store->Backup(args.file);
  if (!made) return ReportError(made.error());
  fmt::print("backed up {} to {}\n", Describe(args.target), args.file);
  return 0;
}

int RunRestore(const DbArgs& args) {
  auto restored = store::Store::Restore(ToTarget(args.target), args.file);
  if (!restored) return ReportError(restored.error());
  auto store = store::Store::Open(ToTarget(args.target), {.migrate = false, .create = false});
  if (!store) return ReportError(store.error());
  auto check = store->IntegrityCheck();
  if (!check) return ReportError(check.error());
  fmt::print("restored {} from {}; integrity {}\n", Describe(args.target), args.file, *check);
  return *check == "ok" ? 0 : static_cast<int>(Exit::FAILURE);
}

int RunAuditVerify(const DbArgs& args) {
  auto store = store::Store::Open(ToTarget(args.target), {.migrate = false, .create = false});
  if (!store) return ReportError(store.error());
  auto orgs = store->ListOrganisations();
  if (!orgs) return ReportError(orgs.error());
  if (args.target.org != 0) {
    if (auto org = ResolveOrg(*store, args.target); !org) return ReportError(org.error());
  }
  bool all_ok = true;
  for (const auto& org : *orgs) {
    if (args.target.org != 0 && org.id != args.target.org) continue;
    auto verified = store->VerifyAudit(org.id);
    if (!verified) return ReportError(verified.error());
    if (verified->ok) {
      fmt::print("organisation {}: {} entries, chain intact\n", org.id, verified->entries);
    } else {
      all_ok = false;
      fmt::print("organisation {}: BROKEN at entry {}: {}\n", org.id, verified->first_bad_seq,
                 verified->problem);
    }
  }
  return all_ok ? 0 : static_cast<int>(Exit::FAILURE);
}

struct OrgArgs {
  DbTarget target;
  std::string client_choice;  //!< "on" | "off" (org set)
  bool json = false;
};

// One organisation's settings, as `org show` and `org set` print them.
int PrintOrganisation(const Organisation& o, bool as_json) {
  if (as_json) {
    fmt::print("{}\n", nlohmann::json{{"id", o.id}, {"name", o.name}, {"created_at", o.created_at},
                                      {"client_choice", o.client_choice}}
                           .dump(2));
  } else {
    fmt::print("organisation {} \"{}\" (created {}): clients {} their own therapist\n", o.id, o.name, o.created_at,
               o.client_choice ? "may choose" : "may not choose; the clinic assigns");
  }
  return 0;
}

int RunOrg(const OrgArgs& args, bool set) {
  auto store = store::Store::Open(ToTarget(args.target), {.migrate = true, .create = false});
  if (!store) return ReportError(store.error());
  auto org = ResolveOrg(*store, args.target);
  if (!org) return ReportError(org.error());
  auto organisation = set ? store->SetClientChoice(*org, args.client_choice == "on", store::Actor{"cli"})
                          : store->GetOrganisation(*org);
  if (!organisation) return ReportError(organisation.error());
  return PrintOrganisation(*organisation, args.json);
}

}  // namespace

void AddOrgCommands(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("org", "An organisation's settings");
  group->require_subcommand(1);
  auto args = std::make_shared<OrgArgs>();
  auto command = [&](const char* name, const char* what, bool set) {
    auto* c = group->add_subcommand(name, what);
    AddDbOptions(c, args->target);
    AddOrgOption(c, args->target);
    c->add_flag("--json", args->json, "JSON output");
    c->callback([&ctx, args, set] { ctx.exit_code = RunOrg(*args, set); });
    return c;
  };
  command("show", "Print the organisation and its settings", false);
  OneOf(command("set", "Change a setting (audited as organisation.settings)", true)
            ->add_option("--client-choice", args->client_choice,
                         "on: clients may choose their own therapist; off: the clinic assigns")
            ->required(),
        {"on", "off"});
}

void AddDbCommands(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("db", "Create, migrate, check, back up and restore the database");
  group->require_subcommand(1);
  auto args = std::make_shared<DbArgs>();

  auto* init = group->add_subcommand("init", "Create the database and apply every migration");
  AddDbOptions(init, args->target);
  StoredText(NotBlank(init->add_option("--org", args->org_name, "Also create an organisation with this name")));
  init->callback([&ctx, args] { ctx.exit_code = RunInit(*args); });

  auto* migrate = group->add_subcommand("migrate", "Apply pending migrations");
  AddDbOptions(migrate, args->target);
  migrate->callback([&ctx, args] { ctx.exit_code = RunMigrate(*args); });

  auto* status = group->add_subcommand(
      "status", "List applied and pending migrations and run the integrity check (exit 3: pending)");
  AddDbOptions(status, args->target);
  status->callback([&ctx, args] { ctx.exit_code = RunStatus(*args); });

  auto* backup = group->add_subcommand(
      "backup", "Consistent copy of a live database (SQLite online backup; PostgreSQL pg_dump)");
  backup->add_option("file", args->file, "Backup file to write")->required();
  AddDbOptions(backup, args->target);
  backup->callback([&ctx, args] { ctx.exit_code = RunBackup(*args); });

  auto* restore = group->add_subcommand(
      "restore", "Load a backup into the database (PostgreSQL: into an empty database)");
  restore->add_option("file", args->file, "Backup file to read")->required();
  AddDbOptions(restore, args->target);
  restore->callback([&ctx, args] { ctx.exit_code = RunRestore(*args); });
}

void AddAuditCommands(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("audit", "The hash-chained audit log");
  group->require_subcommand(1);
  auto args = std::make_shared<DbArgs>();
  auto* verify = group->add_subcommand(
      "verify", "Recompute each organisation's chain; exit 1 when an entry was edited or deleted");
  AddDbOptions(verify, args->target);
  AddOrgOption(verify, args->target);
  verify->callback([&ctx, args] { ctx.exit_code = RunAuditVerify(*args); });
}

}  // namespace attune::cli
