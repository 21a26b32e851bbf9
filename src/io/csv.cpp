#include "brainalign/io/csv.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "brainalign/base/error.h"
#include "brainalign/io/atomic_file.h"

namespace brainalign::io {
namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
// Far above any stimulus, fold or ROI table (B2021's is a few MB); a larger file is refused
// before it is read, since parsing costs many times its size in memory.
constexpr std::uintmax_t kMaxCsvBytes = std::uintmax_t{256} << 20;

struct Record {
  std::vector<std::string> fields;
  std::size_t line = 0;
  bool blank = false;  // an empty line: one empty, unquoted field
};

class CsvParser {
 public:
  CsvParser(std::string_view text, const std::string& source) : text_(text), source_(source) {
    if (text_.starts_with(kByteOrderMark)) text_.remove_prefix(kByteOrderMark.size());
  }

  std::vector<Record> parse() {
    std::vector<Record> records;
    while (pos_ < text_.size()) records.push_back(parse_record());
    while (!records.empty() && records.back().blank) records.pop_back();
    return records;
  }

 private:
  [[noreturn]] void fail(std::size_t line, const std::string& problem) const {
    throw InputError(source_ + ", line " + std::to_string(line) + ": " + problem);
  }

  bool at_line_end() const {
    return pos_ >= text_.size() || text_[pos_] == '\n' || text_[pos_] == '\r';
  }

  void consume_line_end() {
    if (pos_ < text_.size() && text_[pos_] == '\r') ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
    ++line_;
  }

  std::string parse_quoted() {
    const std::size_t start_line = line_;
    std::string field;
    ++pos_;
    while (true) {
      if (pos_ >= text_.size()) fail(start_line, "a quoted field is never closed");
      const char c = text_[pos_++];
      if (c == '"') {
        if (pos_ < text_.size() && text_[pos_] == '"') {
          field += '"';
          ++pos_;
          continue;
        }
        break;
      }
      if (c == '\n') ++line_;
      field += c;
    }
    if (!at_line_end() && text_[pos_] != ',') {
      fail(line_, "unexpected text after a closing quote; expected ',' or the end of the line");
    }
    return field;
  }

  Record parse_record() {
    Record record;
    record.line = line_;
    bool quoted_any = false;
    while (true) {
      if (pos_ < text_.size() && text_[pos_] == '"') {
        quoted_any = true;
        record.fields.push_back(parse_quoted());
      } else {
        const std::size_t start = pos_;
        while (!at_line_end() && text_[pos_] != ',') ++pos_;
        record.fields.emplace_back(text_.substr(start, pos_ - start));
      }
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      break;
    }
    record.blank = !quoted_any && record.fields.size() == 1 && record.fields[0].empty();
    consume_line_end();
    return record;
  }

  std::string_view text_;
  const std::string& source_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
};

bool needs_quotes(const std::string& field) {
  return field.find_first_of(",\"\r\n") != std::string::npos ||
         (!field.empty() && (field.front() == ' ' || field.back() == ' '));
}

void append_row(std::string& out, const std::vector<std::string>& fields) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    const std::string& field = fields[i];
    // A lone empty field would be a blank line, which readers skip.
    if (needs_quotes(field) || (fields.size() == 1 && field.empty())) {
      out += '"';
      for (char c : field) {
        if (c == '"') out += '"';
        out += c;
      }
      out += '"';
    } else {
      out += field;
    }
  }
  out += '\n';
}

std::string trim_blanks(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

}  // namespace

std::size_t CsvTable::column(const std::string& name) const {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return i;
  }
  std::string known;
  for (const std::string& column_name : header) {
    known += (known.empty() ? "'" : ", '") + column_name + "'";
  }
  throw InputError(source + ": no column '" + name + "'; the columns are " +
                   (known.empty() ? std::string("unnamed (no header)") : known));
}

CsvTable parse_csv(std::string_view text, const std::string& source, bool has_header) {
  std::vector<Record> records = CsvParser(text, source).parse();
  CsvTable table;
  table.source = source;
  if (records.empty()) {
    if (has_header) throw InputError(source + ": empty; expected a header line");
    return table;
  }
  std::size_t first_row = 0;
  if (has_header) {
    table.header = std::move(records.front().fields);
    first_row = 1;
  }
  const std::size_t width = has_header ? table.header.size() : records.front().fields.size();
  table.rows.reserve(records.size() - first_row);
  for (std::size_t i = first_row; i < records.size(); ++i) {
    Record& record = records[i];
    if (record.fields.size() != width) {
      throw InputError(source + ", line " + std::to_string(record.line) + ": " +
                       std::to_string(record.fields.size()) + " fields; expected " +
                       std::to_string(width) +
                       (has_header ? " as in the header" : " as in line 1"));
    }
    table.rows.push_back(std::move(record.fields));
  }
  return table;
}

CsvTable read_csv(const std::filesystem::path& path, bool has_header) {
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  if (error) throw IoError("cannot read " + path.string() + ": " + error.message());
  if (size > kMaxCsvBytes) {
    throw InputError(path.string() + ": " + std::to_string(size) + " bytes; CSV tables above " +
                     std::to_string(kMaxCsvBytes >> 20) + " MiB are not read");
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) throw IoError("cannot open " + path.string());
  std::ostringstream content;
  content << file.rdbuf();
  if (file.bad()) throw IoError("cannot read " + path.string());
  return parse_csv(content.str(), path.string(), has_header);
}

std::string format_csv(const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows) {
  std::string out;
  if (!header.empty()) append_row(out, header);
  const std::size_t width = !header.empty() ? header.size() : (rows.empty() ? 0 : rows[0].size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].size() != width) {
      throw InputError("row " + std::to_string(i + 1) + " has " + std::to_string(rows[i].size()) +
                       " fields; expected " + std::to_string(width));
    }
    append_row(out, rows[i]);
  }
  return out;
}

void write_csv(const std::filesystem::path& path, const std::vector<std::string>& header,
               const std::vector<std::vector<std::string>>& rows) {
  std::string out;
  try {
    out = format_csv(header, rows);
  } catch (const InputError& error) {
    throw InputError("cannot write " + path.string() + ": " + error.what());
  }
  write_file_atomically(path, std::string_view(out));
}

void write_csv(const std::filesystem::path& path, const CsvTable& table) {
  write_csv(path, table.header, table.rows);
}

std::string format_double(double value) {
  if (value != value) return "nan";  // whatever its sign bit
  // The shortest text that reads back as the same double ("0.355", not "0.35499999999999998").
  char text[32];
  const auto [end, error] = std::to_chars(text, text + sizeof text, value);
  if (error != std::errc()) throw std::logic_error("format_double: no room for a double");
  return std::string(text, end);
}

std::string format_cell(double value) {
  return std::isfinite(value) ? format_double(value) : std::string();
}

double parse_double(const std::string& text, const std::string& context) {
  const std::string trimmed = trim_blanks(text);
  const char* first = trimmed.data();
  const char* last = trimmed.data() + trimmed.size();
  // from_chars does not accept a leading '+', which other tools write.
  if (first != last && *first == '+' && last - first > 1 && first[1] != '-') ++first;
  double value = 0;
  const auto [end, error] = std::from_chars(first, last, value);
  if (trimmed.empty() || error != std::errc() || end != last) {
    throw InputError(context + ": expected a number, got '" + text + "'" +
                     (error == std::errc::result_out_of_range ? " (out of range)" : ""));
  }
  return value;
}

}  // namespace brainalign::io
