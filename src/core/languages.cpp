#include "attune/core/languages.hpp"

#include <algorithm>
#include <iterator>

namespace attune {

namespace {

// Ordered by code (a test checks it, so that the API's list reads in a stable order).
constexpr Language kLanguages[] = {
    {"ar", "Arabic"},  {"bn", "Bengali"},    {"cy", "Welsh"},      {"de", "German"},   {"el", "Greek"},
    {"en", "English"}, {"es", "Spanish"},    {"fa", "Persian"},    {"fr", "French"},   {"gu", "Gujarati"},
    {"hi", "Hindi"},   {"it", "Italian"},    {"ja", "Japanese"},   {"ko", "Korean"},   {"nl", "Dutch"},
    {"pa", "Punjabi"}, {"pl", "Polish"},     {"pt", "Portuguese"}, {"ro", "Romanian"}, {"ru", "Russian"},
    {"so", "Somali"},  {"sv", "Swedish"},    {"ta", "Tamil"},      {"tr", "Turkish"},  {"uk", "Ukrainian"},
    {"ur", "Urdu"},    {"vi", "Vietnamese"}, {"zh", "Chinese"}};

}  // namespace

std::span<const Language> Languages() { return kLanguages; }

std::string LanguageName(std::string_view code) {
  auto it = std::find_if(std::begin(kLanguages), std::end(kLanguages), [&](const Language& l) { return l.code == code; });
  return std::string(it != std::end(kLanguages) ? it->name : code);
}

}  // namespace attune
