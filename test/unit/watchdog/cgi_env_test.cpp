#include "watchdog/cgi_env.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

using namespace faasd::watchdog;

namespace {

MessageHead request(std::string_view method, std::string_view target) {
    MessageHead head;
    head.setRequestLine(method, target, 11);
    return head;
}

bool has(const std::vector<std::string>& vars, const std::string& entry) {
    return std::find(vars.begin(), vars.end(), entry) != vars.end();
}

bool hasName(const std::vector<std::string>& vars, const std::string& name) {
    return std::any_of(vars.begin(), vars.end(),
                       [&](const std::string& v) { return v.rfind(name + "=", 0) == 0; });
}

} // namespace

TEST_CASE("header names become Go canonical keys", "[cgi]") {
    CHECK(canonicalHeaderKey("x-call-id") == "X-Call-Id");
    CHECK(canonicalHeaderKey("CONTENT-TYPE") == "Content-Type");
    CHECK(canonicalHeaderKey("user-agent") == "User-Agent");
    CHECK(canonicalHeaderKey("x") == "X");
    CHECK(canonicalHeaderKey("bad header") == "bad header");
}

TEST_CASE("header names map to Http_ variables", "[cgi]") {
    CHECK(cgiVariableName("X-Call-Id") == "Http_X_Call_Id");
    CHECK(cgiVariableName("content-type") == "Http_Content_Type");
    CHECK(cgiVariableName("accept") == "Http_Accept");
}

TEST_CASE("paths are percent-decoded like Go's URL.Path", "[cgi]") {
    CHECK(decodePath("/a%20b") == "/a b");
    CHECK(decodePath("/plain") == "/plain");
    CHECK(decodePath("/bad%zz") == "/bad%zz");
    CHECK(decodePath("/short%2") == "/short%2");
}

TEST_CASE("a request's CGI variables", "[cgi]") {
    MessageHead head = request("POST", "/some/path?q=1&x=y");
    head.addField("Host", "example.com:8080");
    head.addField("x-call-id", "abc");
    head.addField("Content-Type", "text/plain");
    head.addField("Content-Length", "5");
    head.addField("X-Call-Id", "second value is ignored");
    head.contentLength = 5;

    auto vars = cgiVariables(head);
    CHECK(has(vars, "Http_X_Call_Id=abc"));
    CHECK(has(vars, "Http_Content_Type=text/plain"));
    CHECK(has(vars, "Http_Method=POST"));
    CHECK(has(vars, "Http_Path=/some/path"));
    CHECK(has(vars, "Http_Query=q=1&x=y"));
    CHECK(has(vars, "Http_Host=example.com:8080"));
    CHECK(has(vars, "Http_Content_Length=5"));
    CHECK(has(vars, "Http_ContentLength=5"));
    CHECK_FALSE(hasName(vars, "Http_Transfer_Encoding"));
    CHECK(std::count_if(vars.begin(), vars.end(), [](const std::string& v) {
              return v.rfind("Http_X_Call_Id=", 0) == 0;
          }) == 1);
    CHECK(std::count_if(vars.begin(), vars.end(), [](const std::string& v) {
              return v.rfind("Http_Content_Length=", 0) == 0;
          }) == 1);
}

TEST_CASE("chunked requests and requests without a query", "[cgi]") {
    MessageHead head = request("PUT", "/");
    head.addField("Transfer-Encoding", "chunked");
    head.chunked = true;
    auto vars = cgiVariables(head);
    CHECK(has(vars, "Http_Transfer_Encoding=chunked"));
    CHECK(has(vars, "Http_Content_Length=-1"));
    CHECK(has(vars, "Http_Path=/"));
    CHECK_FALSE(hasName(vars, "Http_Query"));
    CHECK_FALSE(hasName(vars, "Http_Host"));
}

TEST_CASE("the environment block keeps the base and adds the request", "[cgi]") {
    char a[] = "PATH=/bin";
    char b[] = "fprocess=env";
    char* base[] = {a, b, nullptr};
    EnvBlock block(base);
    MessageHead head = request("GET", "/x");
    head.addField("Accept", "*/*");
    char* const* envp = block.build(head, true);
    std::vector<std::string> entries;
    for (char* const* e = envp; *e; ++e) {
        entries.emplace_back(*e);
    }
    CHECK(entries[0] == "PATH=/bin");
    CHECK(entries[1] == "fprocess=env");
    CHECK(has(entries, "Http_Accept=*/*"));
    CHECK(has(entries, "Http_Method=GET"));

    char* const* plain = block.build(head, false);
    int count = 0;
    for (char* const* e = plain; *e; ++e) {
        ++count;
    }
    CHECK(count == 2);
}
