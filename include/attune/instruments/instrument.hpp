#pragma once
//! Instrument definitions as data: the types a JSON file in instruments/ becomes, and the
//! catalogue that loads, validates and licence-checks them (docs/instruments.md).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attune/core/result.hpp"

namespace attune::instruments {

//! Who completes an instrument.
enum class Respondent { CLIENT, THERAPIST };
//! Which way a scale improves.
enum class Direction { HIGHER_IS_WORSE, HIGHER_IS_BETTER };
//! How a scale combines its items.
enum class Method { SUM, MEAN };
//! What a scale does with unanswered items (when at least min_answered are answered).
enum class Proration {
  NONE,              //!< every item is needed
  PRORATE,           //!< sum x items / answered (for a mean: the mean of those answered)
  MEAN_OF_ANSWERED,  //!< the mean of the answered items
};
//! What a deployment uses instruments for; licences permit uses one by one.
enum class Use { CLINICAL, RESEARCH, COMMERCIAL };

//! Parses "clinical" | "research" | "commercial".
Result<Use> ParseUse(std::string_view text);
//! Lower-case name of a use.
const char* UseName(Use use);

//! One permitted answer of a choice item.
struct Option {
  double value = 0;
  std::string label;
};

//! What an item accepts: a list of options, or any number on a line from min to max.
struct ResponseSpec {
  std::vector<Option> options;  //!< empty for a range (visual-analogue) item
  double min = 0;               //!< smallest permitted value (options: the smallest option)
  double max = 0;               //!< largest permitted value
  double step = 0;              //!< range items only; 0 = any value
  std::uint64_t small_int_mask = 0;  //!< bit v set when the integer v (0..63) is an option: a fast check
  bool IsRange() const { return options.empty(); }
};

//! A risk flag raised when an item's value is above a threshold (PHQ-9 item 9 above 0).
struct RiskRule {
  double above = 0;
  std::string label;
};

//! One question.
struct Item {
  std::string id;
  std::string text;   //!< empty unless the licence lets text ship (or an overlay supplies it)
  std::string label;  //!< neutral label, always present
  ResponseSpec response;
  bool reverse = false;
  bool scored = true;
  std::optional<RiskRule> risk;
  std::string loinc;
};

//! A score band; a score belongs to the band with min <= score < next band's min.
struct Band {
  double min = 0;
  double max = 0;
  std::string label;
};

//! Caseness: a score at or above (or at or below) a cutoff.
struct Caseness {
  bool at_or_above = true;
  double cutoff = 0;
  std::string source;
};

//! Mean and SD of a reference population.
struct GroupNorm {
  double mean = 0;
  double sd = 0;
};

//! Norms for Jacobson-Truax change.
struct Norms {
  double sd = 0;           //!< SD used for the reliable change index (usually the clinical SD)
  double reliability = 0;  //!< reliability of the scale (alpha or test-retest)
  //! Two-sided confidence of the reliable change criterion, in (0, 1): z is the normal quantile of
  //! (1 + confidence) / 2 (0.95: 1.96, as Jacobson & Truax; 0.90: 1.645, as the CORE-10 manual).
  double confidence = 0.95;
  std::optional<GroupNorm> clinical;
  std::optional<GroupNorm> nonclinical;
  std::string source;
};

//! A scale (total or subscale).
struct Scale {
  std::string id;
  std::string title;
  std::vector<std::size_t> items;  //!< indices into Instrument::items
  Method method = Method::SUM;
  std::size_t min_answered = 0;
  Proration proration = Proration::NONE;
  Direction direction = Direction::HIGHER_IS_WORSE;
  double range_min = 0;
  double range_max = 0;
  std::vector<Band> bands;
  std::optional<Caseness> caseness;
  std::optional<Norms> norms;
  std::string loinc;
};

//! Licence terms; a use is permitted only when explicitly true.
struct Licence {
  std::string holder;
  std::string terms;
  std::string url;
  std::string reference;  //!< set by an operator overlay (licence number)
  bool item_text_may_ship = false;
  std::optional<bool> clinical;
  std::optional<bool> research;
  std::optional<bool> commercial;
  //! The permission for a use: true, false, or unknown (nullopt).
  std::optional<bool> For(Use use) const;
};

//! A whole instrument definition.
struct Instrument {
  std::string id;
  std::string version;
  std::string title;
  Respondent respondent = Respondent::CLIENT;
  std::string instructions;
  std::vector<Item> items;
  std::vector<Scale> scales;
  std::string loinc_panel;
  std::string citation;
  std::string scoring_source;
  Licence licence;
  std::string file;  //!< where it was loaded from

  //! Index of an item by id, or nullopt.
  std::optional<std::size_t> ItemIndex(std::string_view item_id) const;
  //! A scale by id, or nullptr.
  const Scale* FindScale(std::string_view scale_id) const;
};

//! Parses and validates one definition. Errors name `file`, the JSON path and the reason.
Result<Instrument> ParseInstrument(std::string_view json_text, const std::string& file);

//! Refuses administration unless the licence explicitly permits `use` (unknown = refused).
Result<void> CheckPermitted(const Instrument& instrument, Use use);

//! The set of loaded instruments.
class Catalogue {
 public:
  //! Loads every *.json in `dir`; the first broken file refuses the whole load.
  static Result<Catalogue> LoadDirectory(const std::string& dir);
  //! Applies an operator overlay file (licensed item text, a declared licence).
  Result<void> ApplyOverlay(const std::string& file);
  //! Adds a parsed instrument; refuses a duplicate id.
  Result<void> Add(Instrument instrument);

  //! The instrument with this id, or NOT_FOUND naming the known ids.
  Result<const Instrument*> Get(std::string_view id) const;
  //! As Get, and also refused (NOT_PERMITTED) when its licence does not permit `use`.
  Result<const Instrument*> GetForUse(std::string_view id, Use use) const;
  //! All instruments, sorted by id.
  const std::vector<Instrument>& All() const { return instruments_; }

 private:
  std::vector<Instrument> instruments_;
};

}  // namespace attune::instruments
