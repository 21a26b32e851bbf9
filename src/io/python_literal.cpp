#include "python_literal.h"

#include <cctype>
#include <stdexcept>

#include "unicode.h"

namespace brainalign::io::detail {
namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  PyValue parse_all() {
    PyValue value = parse_value();
    skip_space();
    if (pos_ != text_.size()) fail("end of literal");
    return value;
  }

 private:
  [[noreturn]] void fail(const std::string& expected) const {
    std::string context(text_.substr(pos_, 20));
    throw std::invalid_argument("expected " + expected + " at character " + std::to_string(pos_) +
                                (pos_ < text_.size() ? " (near '" + context + "')" : " (at end)"));
  }

  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool at(char c) {
    skip_space();
    return pos_ < text_.size() && text_[pos_] == c;
  }

  bool consume_word(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    const std::size_t end = pos_ + word.size();
    if (end < text_.size() &&
        (std::isalnum(static_cast<unsigned char>(text_[end])) || text_[end] == '_')) {
      return false;
    }
    pos_ = end;
    return true;
  }

  PyValue parse_value() {
    skip_space();
    if (pos_ >= text_.size()) fail("a value");
    const char c = text_[pos_];
    PyValue value;
    if (c == '{') return parse_dict();
    if (c == '(') return parse_sequence(')', PyValue::Kind::kTuple);
    if (c == '[') return parse_sequence(']', PyValue::Kind::kList);
    if (c == '\'' || c == '"') return parse_string();
    if ((c == 'u' || c == 'b') && pos_ + 1 < text_.size() &&
        (text_[pos_ + 1] == '\'' || text_[pos_ + 1] == '"')) {
      ++pos_;
      return parse_string();
    }
    if (c == '-' || c == '+' || std::isdigit(static_cast<unsigned char>(c))) return parse_int();
    if (consume_word("True")) {
      value.kind = PyValue::Kind::kBool;
      value.boolean = true;
      return value;
    }
    if (consume_word("False")) {
      value.kind = PyValue::Kind::kBool;
      return value;
    }
    if (consume_word("None")) return value;
    fail("a string, number, tuple, list, dict, True, False or None");
  }

  PyValue parse_int() {
    PyValue value;
    value.kind = PyValue::Kind::kInt;
    if (text_[pos_] == '-' || text_[pos_] == '+') {
      value.negative = text_[pos_] == '-';
      ++pos_;
    }
    const std::size_t start = pos_;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
      const auto digit = static_cast<std::uint64_t>(text_[pos_] - '0');
      if (value.magnitude > (UINT64_MAX - digit) / 10) fail("an integer below 2**64");
      value.magnitude = value.magnitude * 10 + digit;
      ++pos_;
    }
    if (pos_ == start) fail("digits");
    // Python 2 wrote long integers with an 'L' suffix.
    if (pos_ < text_.size() && (text_[pos_] == 'L' || text_[pos_] == 'l')) ++pos_;
    return value;
  }

  std::uint32_t parse_hex(std::size_t digits) {
    if (pos_ + digits > text_.size()) fail(std::to_string(digits) + " hex digits");
    std::uint32_t code = 0;
    for (std::size_t i = 0; i < digits; ++i) {
      const char h = text_[pos_++];
      std::uint32_t digit = 0;
      if (h >= '0' && h <= '9') {
        digit = static_cast<std::uint32_t>(h - '0');
      } else if (h >= 'a' && h <= 'f') {
        digit = static_cast<std::uint32_t>(h - 'a' + 10);
      } else if (h >= 'A' && h <= 'F') {
        digit = static_cast<std::uint32_t>(h - 'A' + 10);
      } else {
        --pos_;
        fail("a hex digit");
      }
      code = code * 16 + digit;
    }
    if (!is_scalar_value(code)) fail("a Unicode scalar value");
    return code;
  }

  PyValue parse_string() {
    const char quote = text_[pos_++];
    PyValue value;
    value.kind = PyValue::Kind::kString;
    while (true) {
      if (pos_ >= text_.size()) fail(std::string("closing ") + quote);
      const char c = text_[pos_++];
      if (c == quote) break;
      if (c != '\\') {
        value.text += c;
        continue;
      }
      if (pos_ >= text_.size()) fail("an escape sequence");
      const char e = text_[pos_++];
      switch (e) {
        case '\\':
          value.text += '\\';
          break;
        case '\'':
          value.text += '\'';
          break;
        case '"':
          value.text += '"';
          break;
        case 'n':
          value.text += '\n';
          break;
        case 'r':
          value.text += '\r';
          break;
        case 't':
          value.text += '\t';
          break;
        case '0':
          value.text += '\0';
          break;
        case 'x':
          append_utf8(value.text, parse_hex(2));
          break;
        case 'u':
          append_utf8(value.text, parse_hex(4));
          break;
        case 'U':
          append_utf8(value.text, parse_hex(8));
          break;
        default:
          --pos_;
          fail("a known escape sequence");
      }
    }
    return value;
  }

  PyValue parse_sequence(char close, PyValue::Kind kind) {
    ++pos_;
    PyValue value;
    value.kind = kind;
    bool saw_comma = false;
    while (!at(close)) {
      value.items.push_back(parse_value());
      saw_comma = at(',');
      if (saw_comma) {
        ++pos_;
      } else if (!at(close)) {
        fail(std::string("',' or '") + close + "'");
      }
    }
    ++pos_;
    // (x) is a parenthesised value in Python, not a tuple.
    if (kind == PyValue::Kind::kTuple && value.items.size() == 1 && !saw_comma) {
      return std::move(value.items.front());
    }
    return value;
  }

  PyValue parse_dict() {
    ++pos_;
    PyValue value;
    value.kind = PyValue::Kind::kDict;
    while (!at('}')) {
      skip_space();
      if (pos_ >= text_.size()) fail("a dict key");
      PyValue key = parse_value();
      if (key.kind != PyValue::Kind::kString) fail("a string dict key");
      if (!at(':')) fail("':'");
      ++pos_;
      value.fields.emplace_back(std::move(key.text), parse_value());
      if (at(',')) {
        ++pos_;
      } else if (!at('}')) {
        fail("',' or '}'");
      }
    }
    ++pos_;
    return value;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

std::string quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace

PyValue::PyValue() = default;
PyValue::~PyValue() = default;
PyValue::PyValue(const PyValue& other) = default;
PyValue::PyValue(PyValue&& other) noexcept = default;
PyValue& PyValue::operator=(const PyValue& other) = default;
PyValue& PyValue::operator=(PyValue&& other) noexcept = default;

const PyValue* PyValue::find(std::string_view key) const {
  for (const auto& [name, value] : fields) {
    if (name == key) return &value;
  }
  return nullptr;
}

PyValue parse_python_literal(std::string_view text) { return Parser(text).parse_all(); }

std::string to_python_text(const PyValue& value) {
  switch (value.kind) {
    case PyValue::Kind::kNone:
      return "None";
    case PyValue::Kind::kBool:
      return value.boolean ? "True" : "False";
    case PyValue::Kind::kInt: {
      std::string text(value.negative ? "-" : "");
      return text.append(std::to_string(value.magnitude));
    }
    case PyValue::Kind::kString:
      return quote(value.text);
    case PyValue::Kind::kTuple:
    case PyValue::Kind::kList: {
      const bool tuple = value.kind == PyValue::Kind::kTuple;
      std::string out = tuple ? "(" : "[";
      for (std::size_t i = 0; i < value.items.size(); ++i) {
        if (i > 0) out += ", ";
        out += to_python_text(value.items[i]);
      }
      if (tuple && value.items.size() == 1) out += ",";
      return out + (tuple ? ")" : "]");
    }
    case PyValue::Kind::kDict: {
      std::string out = "{";
      for (std::size_t i = 0; i < value.fields.size(); ++i) {
        if (i > 0) out += ", ";
        out += quote(value.fields[i].first) + ": " + to_python_text(value.fields[i].second);
      }
      return out + "}";
    }
  }
  return "";
}

}  // namespace brainalign::io::detail
