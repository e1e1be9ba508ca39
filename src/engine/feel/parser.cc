#include "engine/feel/parser.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "engine/feel/builtins.h"

namespace tern::feel::detail {
namespace {

// One parse. Functions return nullptr on failure after recording the first error; the caller
// propagates the nullptr. Tracks names bound by for/some/every, lambdas and context entries so a
// call through a bound name is allowed while a call to an unknown name is rejected.
class Parser {
 public:
  Parser(std::vector<Token> tokens, std::size_t max_depth)
      : tokens_(std::move(tokens)), max_depth_(max_depth) {}

  tern::Result<NodePtr, SyntaxError> expression_root() {
    NodePtr node = expression();
    if (node && !at_end()) fail(peek().pos, "unexpected " + describe(peek()));
    if (!error_.message.empty()) return tern::unexpected(error_);
    return node;
  }

  tern::Result<NodePtr, SyntaxError> unary_tests_root() {
    NodePtr node = unary_tests();
    if (node && !at_end()) fail(peek().pos, "unexpected " + describe(peek()));
    if (!error_.message.empty()) return tern::unexpected(error_);
    return node;
  }

 private:
  // --- token helpers -------------------------------------------------------------------------
  const Token& peek(std::size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  bool at_end() const { return peek().kind == TokenKind::kEnd; }
  bool symbol(std::string_view s, std::size_t ahead = 0) const {
    return peek(ahead).kind == TokenKind::kSymbol && peek(ahead).text == s;
  }
  bool word(std::string_view w, std::size_t ahead = 0) const {
    return peek(ahead).kind == TokenKind::kWord && peek(ahead).text == w;
  }
  bool plain_word(std::size_t ahead = 0) const {
    return peek(ahead).kind == TokenKind::kWord && !is_keyword(peek(ahead).text);
  }
  const Token& advance() {
    const Token& t = peek();
    if (pos_ < tokens_.size() - 1) ++pos_;
    return t;
  }
  static std::string describe(const Token& t) {
    switch (t.kind) {
      case TokenKind::kEnd:
        return "end of expression";
      case TokenKind::kString:
        return "string \"" + t.text + "\"";
      default:
        return "'" + t.text + "'";
    }
  }
  std::nullptr_t fail(std::size_t pos, std::string message) {
    if (error_.message.empty()) error_ = SyntaxError{pos, std::move(message)};
    return nullptr;
  }
  bool expect_symbol(std::string_view s, std::string_view context) {
    if (symbol(s)) {
      advance();
      return true;
    }
    fail(peek().pos, "expected '" + std::string(s) + "' " + std::string(context) + " but found "
                         + describe(peek()));
    return false;
  }
  bool expect_word(std::string_view w, std::string_view context) {
    if (word(w)) {
      advance();
      return true;
    }
    fail(peek().pos, "expected '" + std::string(w) + "' " + std::string(context) + " but found "
                         + describe(peek()));
    return false;
  }
  static NodePtr make(Op op, std::size_t pos) {
    auto node = std::make_unique<Node>();
    node->op = op;
    node->pos = pos;
    return node;
  }
  static NodePtr binary(Op op, std::size_t pos, NodePtr left, NodePtr right) {
    auto node = make(op, pos);
    node->kids.push_back(std::move(left));
    node->kids.push_back(std::move(right));
    return node;
  }

  // Depth guard: one per nested expression().
  struct DepthGuard {
    Parser& p;
    explicit DepthGuard(Parser& parser) : p(parser) { ++p.depth_; }
    ~DepthGuard() { --p.depth_; }
  };

  // A name made of adjacent words ("string length", "order total"), or a backticked name.
  std::string name_words() {
    if (peek().kind == TokenKind::kBacktickName) return advance().text;
    std::string name = advance().text;
    while (plain_word())
      name += " " + advance().text;
    // Built-in names that contain a keyword.
    auto joins = [&](std::initializer_list<std::string_view> rest) {
      std::size_t k = 0;
      for (auto w : rest) {
        if (!word(w, k)) return false;
        ++k;
      }
      if (!symbol("(", k)) return false;
      for (std::size_t i = 0; i < k; ++i)
        name += " " + advance().text;
      return true;
    };
    if (name == "date") joins({"and", "time"});
    if (name == "years") joins({"and", "months", "duration"});
    if (name == "day" && !joins({"of", "week"})) joins({"of", "year"});
    if (name == "index") joins({"of"});
    if (name == "get") joins({"or", "else"});
    if (name == "month" || name == "week") joins({"of", "year"});
    return name;
  }

  bool is_bound(const std::string& name) const {
    return std::find(bound_.begin(), bound_.end(), name) != bound_.end();
  }

  // --- grammar -------------------------------------------------------------------------------
  NodePtr expression() {
    DepthGuard guard(*this);
    if (depth_ > max_depth_) return fail(peek().pos, "expression is nested too deeply");
    if (word("if")) return if_expression();
    if (word("for")) return for_expression();
    if (word("some") || word("every")) return quantified();
    if (word("function") && symbol("(", 1)) return lambda();
    return disjunction();
  }

  NodePtr if_expression() {
    auto node = make(Op::kIf, advance().pos);
    for (auto keyword : {"then", "else", ""}) {
      NodePtr part = expression();
      if (!part) return nullptr;
      node->kids.push_back(std::move(part));
      if (*keyword != '\0' && !expect_word(keyword, "in if expression")) return nullptr;
    }
    return node;
  }

  // for/some/every share the "name in collection, ..." part.
  bool iteration_contexts(Node& node, bool allow_integer_range) {
    do {
      if (!plain_word() && peek().kind != TokenKind::kBacktickName) {
        fail(peek().pos, "expected a variable name but found " + describe(peek()));
        return false;
      }
      node.names.push_back(name_words());
      if (!expect_word("in", "after the variable")) return false;
      NodePtr collection = expression();
      if (!collection) return false;
      if (allow_integer_range && symbol("..")) {
        auto range = make(Op::kRange, advance().pos);
        NodePtr end = expression();
        if (!end) return false;
        range->integer_range = true;
        range->kids.push_back(std::move(collection));
        range->kids.push_back(std::move(end));
        collection = std::move(range);
      }
      node.kids.push_back(std::move(collection));
      bound_.push_back(node.names.back());
    } while (symbol(",") && (advance(), true));
    return true;
  }

  NodePtr for_expression() {
    auto node = make(Op::kFor, advance().pos);
    std::size_t bound_before = bound_.size();
    bound_.push_back("partial");
    if (!iteration_contexts(*node, true)) return nullptr;
    if (!expect_word("return", "in for expression")) return nullptr;
    NodePtr body = expression();
    if (!body) return nullptr;
    node->uses_input = mentions_name(*body, "partial");
    node->kids.push_back(std::move(body));
    bound_.resize(bound_before);
    return node;
  }

  static bool mentions_input(const Node& node) {
    if (node.op == Op::kInput) return true;
    for (const auto& kid : node.kids) {
      if (mentions_input(*kid)) return true;
    }
    return false;
  }

  static bool mentions_name(const Node& node, std::string_view name) {
    if (node.op == Op::kName && node.name == name) return true;
    for (const auto& kid : node.kids) {
      if (mentions_name(*kid, name)) return true;
    }
    return false;
  }

  NodePtr quantified() {
    Op op = word("some") ? Op::kSome : Op::kEvery;
    auto node = make(op, advance().pos);
    std::size_t bound_before = bound_.size();
    if (!iteration_contexts(*node, false)) return nullptr;
    if (!expect_word("satisfies", "in quantified expression")) return nullptr;
    NodePtr body = expression();
    if (!body) return nullptr;
    node->kids.push_back(std::move(body));
    bound_.resize(bound_before);
    return node;
  }

  NodePtr lambda() {
    auto node = make(Op::kLambda, advance().pos);
    advance();  // (
    std::size_t bound_before = bound_.size();
    while (!symbol(")")) {
      if (!plain_word()) return fail(peek().pos, "expected a parameter name");
      node->names.push_back(name_words());
      bound_.push_back(node->names.back());
      if (symbol(":")) {  // a type annotation: skip the type's words
        advance();
        while (plain_word() || word("and"))
          advance();
      }
      if (!symbol(",")) break;
      advance();
    }
    if (!expect_symbol(")", "after the parameters")) return nullptr;
    NodePtr body = expression();
    if (!body) return nullptr;
    node->kids.push_back(std::move(body));
    bound_.resize(bound_before);
    return node;
  }

  NodePtr disjunction() {
    NodePtr left = conjunction();
    while (left && word("or")) {
      std::size_t pos = advance().pos;
      NodePtr right = conjunction();
      if (!right) return nullptr;
      left = binary(Op::kOr, pos, std::move(left), std::move(right));
    }
    return left;
  }

  NodePtr conjunction() {
    NodePtr left = comparison();
    while (left && word("and")) {
      std::size_t pos = advance().pos;
      NodePtr right = comparison();
      if (!right) return nullptr;
      left = binary(Op::kAnd, pos, std::move(left), std::move(right));
    }
    return left;
  }

  static std::optional<Op> comparison_op(const Token& t) {
    if (t.kind != TokenKind::kSymbol) return std::nullopt;
    if (t.text == "=") return Op::kEqual;
    if (t.text == "!=") return Op::kNotEqual;
    if (t.text == "<") return Op::kLess;
    if (t.text == "<=") return Op::kLessEqual;
    if (t.text == ">") return Op::kGreater;
    if (t.text == ">=") return Op::kGreaterEqual;
    return std::nullopt;
  }

  NodePtr comparison() {
    NodePtr left = additive();
    if (!left) return nullptr;
    for (;;) {
      if (auto op = comparison_op(peek())) {
        std::size_t pos = advance().pos;
        NodePtr right = additive();
        if (!right) return nullptr;
        left = binary(*op, pos, std::move(left), std::move(right));
      } else if (word("between")) {
        auto node = make(Op::kBetween, advance().pos);
        NodePtr low = additive();
        if (!low || !expect_word("and", "in between expression")) return nullptr;
        NodePtr high = additive();
        if (!high) return nullptr;
        node->kids.push_back(std::move(left));
        node->kids.push_back(std::move(low));
        node->kids.push_back(std::move(high));
        left = std::move(node);
      } else if (word("in")) {
        auto node = make(Op::kIn, advance().pos);
        node->kids.push_back(std::move(left));
        if (!in_tests(*node)) return nullptr;
        left = std::move(node);
      } else if (word("instance") && word("of", 1)) {
        auto node = make(Op::kInstanceOf, advance().pos);
        advance();
        node->name = type_name();
        if (node->name.empty()) return fail(peek().pos, "expected a type name after 'instance of'");
        node->kids.push_back(std::move(left));
        left = std::move(node);
      } else {
        return left;
      }
    }
  }

  std::string type_name() {
    std::string name;
    while (plain_word() || word("and") || word("null")) {
      if (!name.empty()) name += " ";
      name += advance().text;
    }
    if (symbol("<")) {  // list<number>, context<a: number>: the element type is not checked
      int depth = 0;
      do {
        if (symbol("<")) ++depth;
        if (symbol(">")) --depth;
        if (at_end()) return name;
        advance();
      } while (depth > 0);
    }
    return name;
  }

  // `x in (1, 2)`, `x in [1..5]`, `x in > 3`, `x in list`.
  bool in_tests(Node& node) {
    if (symbol("(")) {
      std::size_t saved = pos_;
      advance();
      NodePtr first = positive_test(false);
      if (first && symbol("..")) {
        pos_ = saved;  // it is a range literal `(a..b]`: parse it as one test
      } else if (first) {
        node.kids.push_back(std::move(first));
        while (symbol(",")) {
          advance();
          NodePtr next = positive_test(false);
          if (!next) return false;
          node.kids.push_back(std::move(next));
        }
        return expect_symbol(")", "after the tests of 'in'");
      } else {
        return false;
      }
    }
    NodePtr test = positive_test(false);
    if (!test) return false;
    node.kids.push_back(std::move(test));
    return true;
  }

  // One positive unary test: `< e`, `>= e`, `= e`, `!= e`, or an expression.
  NodePtr positive_test(bool full_expressions) {
    std::size_t pos = peek().pos;
    if (auto op = comparison_op(peek())) {
      advance();
      NodePtr endpoint = additive();
      if (!endpoint) return nullptr;
      auto node = make(Op::kUnaryTest, pos);
      node->test_op = *op;
      node->kids.push_back(std::move(endpoint));
      return node;
    }
    NodePtr value = full_expressions ? expression() : additive();
    if (!value) return nullptr;
    auto node = make(Op::kUnaryTest, pos);
    node->test_op = Op::kIn;  // plain value: equality, list membership or range containment
    node->uses_input = mentions_input(*value);
    node->kids.push_back(std::move(value));
    return node;
  }

  NodePtr unary_tests() {
    auto root = make(Op::kIn, peek().pos);
    root->kids.push_back(make(Op::kInput, peek().pos));
    if (symbol("-") && peek(1).kind == TokenKind::kEnd) {
      advance();
      root->kids.push_back(make(Op::kAny, root->pos));
      return root;
    }
    bool negated = word("not") && symbol("(", 1);
    Node* target = root.get();
    if (negated) {
      auto not_node = make(Op::kNot, advance().pos);
      advance();
      target = not_node.get();
      root->kids.push_back(std::move(not_node));
    }
    do {
      NodePtr test = positive_test(true);
      if (!test) return nullptr;
      target->kids.push_back(std::move(test));
    } while (symbol(",") && (advance(), true));
    if (negated && !expect_symbol(")", "after the tests of 'not'")) return nullptr;
    return root;
  }

  NodePtr additive() {
    NodePtr left = multiplicative();
    while (left && (symbol("+") || symbol("-"))) {
      Op op = symbol("+") ? Op::kAdd : Op::kSubtract;
      std::size_t pos = advance().pos;
      NodePtr right = multiplicative();
      if (!right) return nullptr;
      left = binary(op, pos, std::move(left), std::move(right));
    }
    return left;
  }

  NodePtr multiplicative() {
    NodePtr left = power();
    while (left && (symbol("*") || symbol("/"))) {
      Op op = symbol("*") ? Op::kMultiply : Op::kDivide;
      std::size_t pos = advance().pos;
      NodePtr right = power();
      if (!right) return nullptr;
      left = binary(op, pos, std::move(left), std::move(right));
    }
    return left;
  }

  NodePtr power() {
    NodePtr left = unary();
    while (left && symbol("**")) {
      std::size_t pos = advance().pos;
      NodePtr right = unary();
      if (!right) return nullptr;
      left = binary(Op::kPower, pos, std::move(left), std::move(right));
    }
    return left;
  }

  NodePtr unary() {
    if (symbol("-")) {
      DepthGuard guard(*this);
      if (depth_ > max_depth_) return fail(peek().pos, "expression is nested too deeply");
      auto node = make(Op::kNegate, advance().pos);
      NodePtr operand = unary();
      if (!operand) return nullptr;
      node->kids.push_back(std::move(operand));
      return node;
    }
    return postfix();
  }

  NodePtr postfix() {
    NodePtr node = primary();
    while (node) {
      if (symbol(".")) {
        std::size_t pos = advance().pos;
        if (!plain_word() && peek().kind != TokenKind::kBacktickName && !word("time")) {
          return fail(peek().pos, "expected a name after '.' but found " + describe(peek()));
        }
        auto path = make(Op::kPath, pos);
        path->name = peek().kind == TokenKind::kWord && is_keyword(peek().text) ? advance().text
                                                                                : name_words();
        path->kids.push_back(std::move(node));
        node = std::move(path);
      } else if (symbol("[") && !(in_range_end_ && closes_range(1))) {
        std::size_t pos = advance().pos;
        bound_.push_back("item");
        NodePtr filter = expression();
        bound_.pop_back();
        if (!filter || !expect_symbol("]", "after the filter")) return nullptr;
        node = binary(Op::kFilter, pos, std::move(node), std::move(filter));
      } else if (symbol("(")) {
        node = call(std::move(node));
      } else {
        return node;
      }
    }
    return node;
  }

  NodePtr call(NodePtr callee) {
    auto node = make(Op::kCall, callee->pos);
    if (callee->op == Op::kName && !is_bound(callee->name)) {
      node->builtin = find_builtin(callee->name);
      if (node->builtin == nullptr) {
        return fail(callee->pos, "unknown function '" + callee->name + "'");
      }
      node->name = callee->name;
    } else {
      node->kids.push_back(std::move(callee));
    }
    advance();  // (
    bool named = false;
    while (!symbol(")")) {
      // A named argument is a name followed by ':'.
      std::size_t k = 0;
      while (peek(k).kind == TokenKind::kWord && !is_keyword(peek(k).text))
        ++k;
      if (k > 0 && symbol(":", k)) {
        named = true;
        node->names.push_back(name_words());
        advance();  // :
      } else if (named) {
        return fail(peek().pos, "positional argument after named arguments");
      }
      NodePtr arg = expression();
      if (!arg) return nullptr;
      node->kids.push_back(std::move(arg));
      if (!symbol(",")) break;
      advance();
    }
    if (!expect_symbol(")", "after the arguments")) return nullptr;
    if (node->builtin != nullptr) return check_arity(std::move(node));
    return node;
  }

  NodePtr check_arity(NodePtr node) {
    const Builtin& b = *node->builtin;
    std::size_t count = node->kids.size();
    if (!node->names.empty()) {
      for (const auto& n : node->names) {
        if (std::find(b.params.begin(), b.params.end(), n) == b.params.end()) {
          return fail(node->pos,
                      "function '" + std::string(b.name) + "' has no parameter '" + n + "'");
        }
      }
      return node;
    }
    if (count < b.min_args || (b.max_args != kVariadic && count > b.max_args)) {
      return fail(node->pos, "function '" + std::string(b.name) + "' does not take "
                                 + std::to_string(count) + " argument" + (count == 1 ? "" : "s"));
    }
    return node;
  }

  NodePtr primary() {
    const Token& t = peek();
    switch (t.kind) {
      case TokenKind::kNumber: {
        auto number = Decimal::parse(t.text);
        if (!number) return fail(t.pos, "malformed number '" + t.text + "'");
        auto node = make(Op::kLiteral, advance().pos);
        node->literal = Value::number(*number);
        return node;
      }
      case TokenKind::kString: {
        auto node = make(Op::kLiteral, t.pos);
        node->literal = Value::string(advance().text);
        return node;
      }
      case TokenKind::kBacktickName:
      case TokenKind::kWord:
        return name_or_keyword_literal();
      case TokenKind::kSymbol:
        return symbol_primary();
      case TokenKind::kEnd:
        return fail(t.pos, "unexpected end of expression");
    }
    return fail(t.pos, "unexpected " + describe(t));
  }

  NodePtr name_or_keyword_literal() {
    const Token& t = peek();
    if (t.kind == TokenKind::kWord && (t.text == "true" || t.text == "false" || t.text == "null")) {
      auto node = make(Op::kLiteral, advance().pos);
      if (t.text != "null") node->literal = Value::boolean(t.text == "true");
      return node;
    }
    if (t.kind == TokenKind::kWord && is_keyword(t.text)) {
      return fail(t.pos, "unexpected '" + t.text + "'");
    }
    auto node = make(Op::kName, t.pos);
    node->name = name_words();
    return node;
  }

  NodePtr symbol_primary() {
    const Token& t = peek();
    std::size_t pos = t.pos;
    if (t.text == "?") {
      advance();
      return make(Op::kInput, pos);
    }
    if (t.text == "@") {
      advance();
      if (peek().kind != TokenKind::kString) return fail(peek().pos, "expected a string after '@'");
      return temporal_literal(advance());
    }
    if (t.text == "{") return context_literal();
    if (t.text == "[" || t.text == "(" || t.text == "]") {
      std::string open = advance().text;
      if (open == "[" && symbol("]")) {
        advance();
        return make(Op::kList, pos);
      }
      NodePtr first = expression();
      if (!first) return nullptr;
      if (symbol("..")) return range_rest(open, pos, std::move(first));
      if (open == "(") {
        if (!expect_symbol(")", "to close '('")) return nullptr;
        return first;
      }
      if (open == "]") return fail(peek().pos, "expected '..' in range");
      auto list = make(Op::kList, pos);
      list->kids.push_back(std::move(first));
      while (symbol(",")) {
        advance();
        NodePtr item = expression();
        if (!item) return nullptr;
        list->kids.push_back(std::move(item));
      }
      if (!expect_symbol("]", "to close the list")) return nullptr;
      return list;
    }
    return fail(pos, "unexpected " + describe(t));
  }

  // In `]1..5[` the final '[' closes the range; it is not a filter on 5. It closes when what
  // follows it cannot start an expression.
  bool closes_range(std::size_t ahead) const {
    const Token& t = peek(ahead);
    if (t.kind == TokenKind::kEnd) return true;
    if (t.kind == TokenKind::kSymbol) {
      return t.text == ")" || t.text == "," || t.text == "]" || t.text == "}";
    }
    return t.kind == TokenKind::kWord && is_keyword(t.text) && t.text != "true" && t.text != "false"
           && t.text != "null" && t.text != "if" && t.text != "for" && t.text != "some"
           && t.text != "every";
  }

  NodePtr range_rest(const std::string& open, std::size_t pos, NodePtr start) {
    advance();  // ..
    bool outer = in_range_end_;
    in_range_end_ = true;
    NodePtr end = expression();
    in_range_end_ = outer;
    if (!end) return nullptr;
    auto node = make(Op::kRange, pos);
    node->start_inclusive = open == "[";
    if (symbol("]")) {
      node->end_inclusive = true;
    } else if (symbol(")") || symbol("[")) {
      node->end_inclusive = false;
    } else {
      return fail(peek().pos, "expected ']', ')' or '[' to close the range");
    }
    advance();
    node->kids.push_back(std::move(start));
    node->kids.push_back(std::move(end));
    return node;
  }

  NodePtr temporal_literal(const Token& t) {
    auto node = make(Op::kLiteral, t.pos);
    const std::string& s = t.text;
    if (auto dt = s.find('T');
        dt != std::string::npos && s.find('-') < dt && s[0] != 'P' && s[0] != '-') {
      if (auto v = DateTime::parse(s)) node->literal = Value::date_time(*v);
    } else if (s.find('P') != std::string::npos) {
      if (auto ym = YearsMonthsDuration::parse(s)) {
        node->literal = Value::duration(*ym);
      } else if (auto d = DaysTimeDuration::parse(s)) {
        node->literal = Value::duration(*d);
      }
    } else if (s.find(':') != std::string::npos) {
      if (auto v = Time::parse(s)) node->literal = Value::time(*v);
    } else if (auto v = Date::parse(s)) {
      node->literal = Value::date(*v);
    }
    if (node->literal.is_null()) return fail(t.pos, "invalid temporal literal @\"" + s + "\"");
    return node;
  }

  NodePtr context_literal() {
    auto node = make(Op::kContext, advance().pos);
    std::size_t bound_before = bound_.size();
    while (!symbol("}")) {
      std::string key;
      if (peek().kind == TokenKind::kString) {
        key = advance().text;
      } else if (peek().kind == TokenKind::kWord || peek().kind == TokenKind::kBacktickName) {
        key = peek().kind == TokenKind::kWord && is_keyword(peek().text) ? advance().text
                                                                         : name_words();
      } else {
        return fail(peek().pos, "expected a context key but found " + describe(peek()));
      }
      if (!expect_symbol(":", "after the context key")) return nullptr;
      NodePtr value = expression();
      if (!value) return nullptr;
      node->names.push_back(key);
      node->kids.push_back(std::move(value));
      bound_.push_back(std::move(key));
      if (!symbol(",")) break;
      advance();
    }
    if (!expect_symbol("}", "to close the context")) return nullptr;
    bound_.resize(bound_before);
    return node;
  }

  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
  std::size_t max_depth_;
  std::size_t depth_ = 0;
  std::vector<std::string> bound_;
  bool in_range_end_ = false;
  SyntaxError error_;
};

}  // namespace

tern::Result<NodePtr, SyntaxError> parse_expression(std::string_view source,
                                                    std::size_t max_depth) {
  auto tokens = tokenize(source);
  if (!tokens) return tern::unexpected(tokens.error());
  if (tokens->size() == 1) return tern::unexpected(SyntaxError{0, "empty expression"});
  return Parser(std::move(*tokens), max_depth).expression_root();
}

tern::Result<NodePtr, SyntaxError> parse_unary_tests(std::string_view source,
                                                     std::size_t max_depth) {
  auto tokens = tokenize(source);
  if (!tokens) return tern::unexpected(tokens.error());
  if (tokens->size() == 1) return tern::unexpected(SyntaxError{0, "empty unary tests"});
  return Parser(std::move(*tokens), max_depth).unary_tests_root();
}

}  // namespace tern::feel::detail
