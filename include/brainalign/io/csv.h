// CSV tables (RFC 4180): stimulus lists, fold assignments, ROI tables (also as read from pandas
// pickles, io/pandas_table.h).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace brainalign::io {

struct CsvTable {
  // Column names; empty when the file was read without a header.
  std::vector<std::string> header;
  // Every row has as many fields as the header (or as the first row without a header).
  std::vector<std::vector<std::string>> rows;
  // The file name that errors mention.
  std::string source;

  // Index of the column called `name`. Throws InputError naming the file and the column.
  std::size_t column(const std::string& name) const;
};

// Reads a CSV file: comma-separated, fields optionally in double quotes (with "" for a quote
// and line breaks allowed inside), LF or CRLF line ends, an optional UTF-8 byte order mark;
// blank lines at the end are ignored. Throws IoError if the file cannot be read and
// InputError (naming the file and line) for a malformed file or a row with the wrong number
// of fields, and for a file above 256 MiB (refused before it is read).
CsvTable read_csv(const std::filesystem::path& path, bool has_header = true);
// The same for text in memory; `source` names it in errors.
CsvTable parse_csv(std::string_view text, const std::string& source, bool has_header = true);

// The text write_csv writes. Throws InputError if a row's length differs from the header's (or
// the first row's).
std::string format_csv(const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows);

// Writes a CSV file atomically (temporary file, then rename), quoting fields that need it and
// ending lines with LF. An empty header writes no header line. Throws InputError if a row's
// length differs from the header's (or the first row's) and IoError if writing fails.
void write_csv(const std::filesystem::path& path, const std::vector<std::string>& header,
               const std::vector<std::vector<std::string>>& rows);
void write_csv(const std::filesystem::path& path, const CsvTable& table);

// A double as the shortest text that reads back as the same double ("0.355"); "nan", "inf"
// or "-inf" for the values that are not finite.
std::string format_double(double value);

// A cell of a results table: format_double, but empty for NaN and infinities (a missing value).
std::string format_cell(double value);

// Parses a whole field as a double (surrounding blanks allowed; nan and inf accepted).
// Throws InputError whose message starts with `context` (such as "folds.csv, line 4, column
// 'fold'") and quotes the text.
double parse_double(const std::string& text, const std::string& context);

}  // namespace brainalign::io
