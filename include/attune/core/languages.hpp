#pragma once
//! The languages Attune names: ISO 639-1 codes with their English names. The one list: the
//! service words a client's language request from it ("speaks German") and the web app offers its
//! choices from it (`GET /api/v1/languages`, docs/api.md).

#include <span>
#include <string>
#include <string_view>

namespace attune {

//! A language by its ISO 639-1 code ("de") and English name ("German").
struct Language {
  std::string_view code;
  std::string_view name;
};

//! The named languages, ordered by code.
std::span<const Language> Languages();

//! The English name of an ISO 639-1 code ("en" -> "English"); a code not listed as it is (a
//! therapist may speak a language the list does not name).
std::string LanguageName(std::string_view code);

}  // namespace attune
