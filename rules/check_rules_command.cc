#include "rules/check_rules_command.h"

#include <exception>

#include "rules/rules_parser.h"
#include "rules/rules_summary.h"

namespace canaryd {
namespace {

constexpr int kOk = 0;
constexpr int kBad = 2;
constexpr int kInternal = 1;

constexpr const char* kHelp = R"(usage: canaryd check-rules [options] FILE

Validates a rules file (see rules/README.md) and prints what each dataset will be checked for:
the effective rules after built-in defaults, the file's defaults and the dataset selectors
(tag < glob < exact name; later wins within a kind). Every error is printed as
FILE:LINE:COLUMN: message (hint).

options:
  --format text|json      output format (default text); json is what the HTTP API shows
  --dataset NAME[=C1,C2]  also show this dataset, with the columns its loads report; a rule
                          naming it whose column or column glob matches none is an error
                          (repeatable)
  -h, --help              show this help

Exit status: 0 the file is valid; 2 errors in the file, or bad options.
)";

std::vector<std::string> SplitColumns(const std::string& text) {
  std::vector<std::string> columns;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = text.find(',', start);
    const std::size_t end = comma == std::string::npos ? text.size() : comma;
    if (end > start) columns.push_back(text.substr(start, end - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return columns;
}

int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string format = "text";
  std::string file;
  std::vector<DatasetQuery> asked;
  std::string inline_value;  // the VALUE of --name=VALUE
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&](const std::string& name) -> const std::string* {
      if (arg.starts_with(name + "=")) {
        inline_value = arg.substr(name.size() + 1);
        return &inline_value;
      }
      if (i + 1 < args.size()) return &args[++i];
      err << "canaryd check-rules: " << name << " needs a value (see canaryd check-rules --help)\n";
      return nullptr;
    };
    if (arg == "-h" || arg == "--help") {
      out << kHelp;
      return kOk;
    }
    if (arg == "--format" || arg.starts_with("--format=")) {
      const std::string* v = value("--format");
      if (!v) return kBad;
      if (*v != "text" && *v != "json") {
        err << "canaryd check-rules: --format is text or json, not '" << *v << "'\n";
        return kBad;
      }
      format = *v;
    } else if (arg == "--dataset" || arg.starts_with("--dataset=")) {
      const std::string* v = value("--dataset");
      if (!v) return kBad;
      const std::size_t eq = v->find('=');
      DatasetQuery q;
      q.dataset = v->substr(0, eq);
      if (eq != std::string::npos) q.columns = SplitColumns(v->substr(eq + 1));
      if (q.dataset.empty()) {
        err << "canaryd check-rules: --dataset needs a name\n";
        return kBad;
      }
      asked.push_back(std::move(q));
    } else if (arg.starts_with("-") && arg != "-") {
      err << "canaryd check-rules: unknown option '" << arg
          << "' (see canaryd check-rules --help)\n";
      return kBad;
    } else if (!file.empty()) {
      err << "canaryd check-rules: one FILE at a time ('" << file << "' and '" << arg << "')\n";
      return kBad;
    } else {
      file = arg;
    }
  }
  if (file.empty()) {
    err << "canaryd check-rules: missing FILE (see canaryd check-rules --help)\n";
    return kBad;
  }

  RulesResult result = LoadRulesFile(file);
  RuleErrors errors;
  if (!result) {
    errors = result.error();
  } else {
    // Datasets asked about with their columns: rules naming them must fit those columns.
    for (const DatasetQuery& q : asked) {
      if (q.columns.empty()) continue;
      EffectiveRules resolved = result.value().Resolve(q.dataset, q.columns);
      errors.insert(errors.end(), resolved.errors.begin(), resolved.errors.end());
    }
  }
  if (!errors.empty()) {
    if (format == "json") {
      nlohmann::json j{{"file", file}, {"ok", false}, {"errors", RuleErrorsJson(errors)}};
      out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    }
    for (const RuleError& e : errors) err << FormatRuleError(e) << '\n';
    err << file << ": " << errors.size() << " error" << (errors.size() == 1 ? "" : "s") << '\n';
    return kBad;
  }
  if (format == "json") {
    out << RulesSummaryJson(result.value(), asked)
               .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
        << '\n';
  } else {
    out << RulesSummaryText(result.value(), asked);
  }
  return kOk;
}

}  // namespace

int RunCheckRules(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  try {
    return Run(args, out, err);
  } catch (const std::exception& e) {
    err << "canaryd check-rules: internal error: " << e.what() << '\n';
    return kInternal;
  }
}

}  // namespace canaryd
