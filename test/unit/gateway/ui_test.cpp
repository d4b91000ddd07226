// The web UI's embedded files under /ui/: content types, ETag and 304,
// caching and security headers, unknown files, HEAD, basic auth.

#include "harness.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::gateway;
using namespace faasd::gateway::test;

TEST_CASE("ui: every page asset is served with its content type") {
    Harness h;
    REQUIRE(h.gateway->start());
    auto c = h.client();
    struct Case {
        const char* path;
        const char* type;
        const char* contains;
    };
    for (const Case& t :
         {Case{"/ui/", "text/html; charset=utf-8", "js/app.js"},
          Case{"/ui/index.html", "text/html; charset=utf-8", "style.css"},
          Case{"/ui/style.css", "text/css; charset=utf-8", "--accent"},
          Case{"/ui/js/app.js", "text/javascript; charset=utf-8", "import"},
          Case{"/ui/js/api.js", "text/javascript; charset=utf-8", "/system/functions"},
          Case{"/ui/favicon.svg", "image/svg+xml", "<svg"}}) {
        INFO(t.path);
        auto res = c.Get(t.path);
        REQUIRE(res);
        CHECK(res->status == 200);
        CHECK(res->get_header_value("Content-Type") == t.type);
        CHECK(res->body.find(t.contains) != std::string::npos);
        CHECK(res->get_header_value("Cache-Control") == "no-cache");
        CHECK(res->get_header_value("X-Content-Type-Options") == "nosniff");
        CHECK(res->get_header_value("Content-Security-Policy").find("default-src 'self'") !=
              std::string::npos);
    }
}

TEST_CASE("ui: every module the page imports is embedded") {
    Harness h;
    REQUIRE(h.gateway->start());
    auto c = h.client();
    auto app = c.Get("/ui/js/app.js");
    REQUIRE(app);
    size_t pos = 0;
    int modules = 0;
    while ((pos = app->body.find("from './", pos)) != std::string::npos) {
        size_t start = pos + 8;
        size_t end = app->body.find('\'', start);
        REQUIRE(end != std::string::npos);
        std::string path = "/ui/js/" + app->body.substr(start, end - start);
        INFO(path);
        auto res = c.Get(path);
        REQUIRE(res);
        CHECK(res->status == 200);
        ++modules;
        pos = end;
    }
    CHECK(modules >= 5);
}

TEST_CASE("ui: ETag revalidation answers 304 without a body") {
    Harness h;
    REQUIRE(h.gateway->start());
    auto c = h.client();
    auto first = c.Get("/ui/js/app.js");
    REQUIRE(first);
    std::string etag = first->get_header_value("ETag");
    REQUIRE(etag.size() > 2);
    CHECK(etag.front() == '"');
    CHECK(etag.back() == '"');

    auto again = c.Get("/ui/js/app.js", {{"If-None-Match", etag}});
    REQUIRE(again);
    CHECK(again->status == 304);
    CHECK(again->body.empty());
    CHECK(again->get_header_value("ETag") == etag);

    auto listed = c.Get("/ui/js/app.js", {{"If-None-Match", "\"other\", W/" + etag}});
    REQUIRE(listed);
    CHECK(listed->status == 304);

    auto stale = c.Get("/ui/js/app.js", {{"If-None-Match", "\"stale\""}});
    REQUIRE(stale);
    CHECK(stale->status == 200);
    CHECK(stale->body == first->body);

    auto other = c.Get("/ui/style.css");
    REQUIRE(other);
    CHECK(other->get_header_value("ETag") != etag);
}

TEST_CASE("ui: unknown files are 404, HEAD has no body, other methods 405") {
    Harness h;
    REQUIRE(h.gateway->start());
    auto c = h.client();
    for (const char* path : {"/ui/nope.js", "/ui/js/", "/ui/../secrets", "/ui/embed.py"}) {
        INFO(path);
        auto res = c.Get(path);
        REQUIRE(res);
        CHECK(res->status == 404);
    }
    auto head = c.Head("/ui/");
    REQUIRE(head);
    CHECK(head->status == 200);
    CHECK(head->body.empty());
    CHECK(head->get_header_value("Content-Type") == "text/html; charset=utf-8");
    auto post = c.Post("/ui/", "x", "text/plain");
    REQUIRE(post);
    CHECK(post->status == 405);
}

TEST_CASE("ui: the files need the same basic auth as /system") {
    auto config = Harness::defaultConfig();
    config.authEnabled = true;
    config.credentials = {"admin", "pw"};
    Harness h(config);
    REQUIRE(h.gateway->start());
    auto c = h.client();
    for (const char* path : {"/ui/", "/ui/js/app.js", "/ui/style.css", "/ui"}) {
        INFO(path);
        auto res = c.Get(path);
        REQUIRE(res);
        CHECK(res->status == 401);
    }
    c.set_basic_auth("admin", "pw");
    auto res = c.Get("/ui/js/app.js");
    REQUIRE(res);
    CHECK(res->status == 200);
}
