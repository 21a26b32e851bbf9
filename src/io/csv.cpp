#include "brainalign/io/csv.h"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "brainalign/error.h"
#include "brainalign/io/atomic_file.h"

namespace brainalign::io {

std::size_t CsvTable::column(const std::string& name) const {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return i;
  std::string have;
  for (const auto& h : header) have += (have.empty() ? "" : ", ") + h;
  throw InputError(source + ": no column '" + name + "' (columns: " + have + ")");
}

CsvTable parse_csv(const std::string& text, const std::string& source, bool has_header) {
  CsvTable table;
  table.source = source;
  std::size_t i = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
  std::vector<std::vector<std::string>> records;
  std::vector<std::size_t> record_lines;
  std::size_t line = 1;
  while (i < text.size()) {
    std::vector<std::string> record;
    std::string field;
    const std::size_t start_line = line;
    bool end_of_record = false;
    while (!end_of_record) {
      if (i < text.size() && text[i] == '"') {
        ++i;
        while (true) {
          if (i >= text.size()) throw InputError(source + ", line " + std::to_string(start_line) + ": unterminated quoted field");
          if (text[i] == '"') {
            if (i + 1 < text.size() && text[i + 1] == '"') {
              field += '"';
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          if (text[i] == '\n') ++line;
          field += text[i++];
        }
      }
      while (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') field += text[i++];
      record.push_back(std::move(field));
      field.clear();
      if (i >= text.size()) {
        end_of_record = true;
      } else if (text[i] == ',') {
        ++i;
      } else {
        if (text[i] == '\r') ++i;
        if (i < text.size() && text[i] == '\n') ++i;
        ++line;
        end_of_record = true;
      }
    }
    if (record.size() == 1 && record[0].empty()) continue;  // blank line
    records.push_back(std::move(record));
    record_lines.push_back(start_line);
  }
  std::size_t first = 0;
  if (has_header) {
    if (records.empty()) throw InputError(source + ": empty file (expected a header line)");
    table.header = records[0];
    first = 1;
  }
  const std::size_t width = has_header ? table.header.size() : (records.empty() ? 0 : records[0].size());
  for (std::size_t r = first; r < records.size(); ++r) {
    if (records[r].size() != width)
      throw InputError(source + ", line " + std::to_string(record_lines[r]) + ": " + std::to_string(records[r].size()) +
                       " fields, expected " + std::to_string(width));
    table.rows.push_back(std::move(records[r]));
  }
  return table;
}

CsvTable read_csv(const std::filesystem::path& path, bool has_header) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string() + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_csv(text.str(), path.string(), has_header);
}

namespace {
std::string quote(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}
std::string line(const std::vector<std::string>& fields) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + quote(fields[i]);
  return out + "\n";
}
}  // namespace

void write_csv(const std::filesystem::path& path, const std::vector<std::string>& header,
               const std::vector<std::vector<std::string>>& rows) {
  std::string text = line(header);
  for (const auto& r : rows) text += line(r);
  write_file_atomically(path, text);
}

double parse_double(const std::string& text, const std::string& context) {
  const char* begin = text.c_str();
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(begin, &end);
  while (end && (*end == ' ' || *end == '\t')) ++end;
  if (text.empty() || end == begin || *end != '\0' || errno == ERANGE)
    throw InputError(context + ": expected a number, got '" + text + "'");
  return v;
}

}  // namespace brainalign::io
