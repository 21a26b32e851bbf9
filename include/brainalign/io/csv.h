// CSV tables (RFC 4180 quoting, CRLF or LF, optional UTF-8 BOM).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace brainalign::io {

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::string source;
  // Index of a header column; InputError naming the file and column if absent.
  std::size_t column(const std::string& name) const;
};

CsvTable read_csv(const std::filesystem::path& path, bool has_header = true);
CsvTable parse_csv(const std::string& text, const std::string& source, bool has_header = true);

// Writes atomically; fields holding commas, quotes or line breaks are quoted.
void write_csv(const std::filesystem::path& path, const std::vector<std::string>& header,
               const std::vector<std::vector<std::string>>& rows);

// A number from a field; InputError naming `context` if it is not one.
double parse_double(const std::string& text, const std::string& context);

}  // namespace brainalign::io
