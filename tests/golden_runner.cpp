// golden_runner — runs one golden case against the real kpi binary.
//
// Usage: kpi_golden_runner KPI_BINARY CASE_DIR
//
// A case directory holds `cmd` (a shell command line; `kpi` on PATH is the
// binary under test), its input files, optionally `stdin`, and the expectations
// `expected_stdout`, `expected_stderr` (absent = must be empty) and
// `expected_exit` (absent = 0). The case runs in a scratch copy of its
// directory, so commands may write files (`-o out.json && cat out.json`).
// Standard output is compared token by token with numbers compared to a
// relative tolerance of 1e-9 (so a formula's last bit of rounding cannot fail a
// test, but any real change does); standard error and the exit code exactly.
// With KPI_GOLDEN_UPDATE=1 the expectations are rewritten from the actual run.
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

bool starts_number(const std::string& s, std::size_t i) {
  const char c = s[i];
  if (c >= '0' && c <= '9') return true;
  return c == '-' && i + 1 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '9' &&
         (i == 0 || !std::isalnum(static_cast<unsigned char>(s[i - 1])));
}

// Splits text into alternating non-number and number tokens.
std::vector<std::string> tokenize(const std::string& s) {
  std::vector<std::string> tokens;
  std::string text;
  std::size_t i = 0;
  while (i < s.size()) {
    const bool after_word = i > 0 && (std::isalpha(static_cast<unsigned char>(s[i - 1])) ||
                                      s[i - 1] == '_');
    if (!after_word && starts_number(s, i)) {
      if (!text.empty()) tokens.push_back(std::move(text)), text.clear();
      std::size_t j = i + 1;
      while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.' ||
                              s[j] == 'e' || s[j] == 'E' ||
                              ((s[j] == '-' || s[j] == '+') && (s[j - 1] == 'e' || s[j - 1] == 'E')))) {
        ++j;
      }
      std::string number = "#";  // appended, not "#" + ...: g++ 12 -O3 -Wrestrict false positive
      number += s.substr(i, j - i);
      tokens.push_back(std::move(number));
      i = j;
    } else {
      text += s[i++];
    }
  }
  if (!text.empty()) tokens.push_back(std::move(text));
  return tokens;
}

bool numbers_match(const std::string& a, const std::string& b) {
  if (a == b) return true;
  char* end_a = nullptr;
  char* end_b = nullptr;
  const double x = std::strtod(a.c_str() + 1, &end_a);
  const double y = std::strtod(b.c_str() + 1, &end_b);
  if (*end_a != '\0' || *end_b != '\0') return false;
  const double scale = std::max({1.0, std::fabs(x), std::fabs(y)});
  return std::fabs(x - y) <= 1e-9 * scale;
}

bool tolerant_equal(const std::string& expected, const std::string& actual) {
  const auto e = tokenize(expected);
  const auto a = tokenize(actual);
  if (e.size() != a.size()) return false;
  for (std::size_t i = 0; i < e.size(); ++i) {
    const bool en = e[i][0] == '#' && e[i].size() > 1;
    const bool an = a[i][0] == '#' && a[i].size() > 1;
    if (en && an) {
      if (!numbers_match(e[i], a[i])) return false;
    } else if (e[i] != a[i]) {
      return false;
    }
  }
  return true;
}

void show_diff(const std::string& what, const std::string& expected, const std::string& actual) {
  std::cerr << "---- " << what << " differs\n---- expected:\n" << expected
            << "\n---- actual:\n" << actual << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: kpi_golden_runner KPI_BINARY CASE_DIR\n";
    return 2;
  }
  const fs::path binary = fs::absolute(argv[1]);
  const fs::path case_dir = fs::absolute(argv[2]);
  const fs::path scratch = fs::temp_directory_path() /
                           ("kpi-golden-" + case_dir.filename().string() + "-" +
                            std::to_string(::getpid()));
  fs::remove_all(scratch);
  fs::create_directories(scratch);
  for (const auto& entry : fs::directory_iterator(case_dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("expected_", 0) == 0 || name == "NOTES.md") continue;  // the command sees inputs only
    fs::copy(entry.path(), scratch / name, fs::copy_options::recursive);
  }

  const std::string cmd = read_file(case_dir / "cmd");
  const fs::path out_path = scratch / ".actual_stdout";
  const fs::path err_path = scratch / ".actual_stderr";
  const fs::path stdin_path = fs::exists(case_dir / "stdin") ? scratch / "stdin" : "/dev/null";
  const std::string path_env = binary.parent_path().string() + ":" +
                               (std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin");
  const std::string shell = "cd " + shell_quote(scratch.string()) +
                            " && env NO_COLOR=1 TZ=UTC LC_ALL=C PATH=" + shell_quote(path_env) +
                            " sh -c " + shell_quote(cmd) + " <" + shell_quote(stdin_path.string()) +
                            " >" + shell_quote(out_path.string()) + " 2>" +
                            shell_quote(err_path.string());
  const int status = std::system(shell.c_str());
  const int exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  const std::string out = read_file(out_path);
  const std::string err = read_file(err_path);
  fs::remove_all(scratch);

  if (const char* update = std::getenv("KPI_GOLDEN_UPDATE"); update && std::string(update) == "1") {
    write_file(case_dir / "expected_stdout", out);
    if (!err.empty() || fs::exists(case_dir / "expected_stderr")) {
      write_file(case_dir / "expected_stderr", err);
    }
    write_file(case_dir / "expected_exit", std::to_string(exit_code) + "\n");
    std::cout << "updated " << case_dir.filename().string() << "\n";
    return 0;
  }

  bool ok = true;
  const std::string want_out = read_file(case_dir / "expected_stdout");
  if (!tolerant_equal(want_out, out)) {
    show_diff("stdout", want_out, out);
    ok = false;
  }
  const std::string want_err =
      fs::exists(case_dir / "expected_stderr") ? read_file(case_dir / "expected_stderr") : "";
  if (want_err != err) {
    show_diff("stderr", want_err, err);
    ok = false;
  }
  int want_exit = 0;
  if (fs::exists(case_dir / "expected_exit")) want_exit = std::stoi(read_file(case_dir / "expected_exit"));
  if (want_exit != exit_code) {
    std::cerr << "---- exit code: expected " << want_exit << ", got " << exit_code << "\n";
    ok = false;
  }
  return ok ? 0 : 1;
}
