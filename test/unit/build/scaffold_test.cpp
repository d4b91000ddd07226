#include "build/scaffold.hpp"
#include "common/files.hpp"

#include <catch2/catch.hpp>
#include <yaml-cpp/yaml.h>

using namespace faasd;
using namespace faasd::build;
namespace fs = std::filesystem;

TEST_CASE("image names with and without a prefix", "[build]") {
    CHECK(imageName("", "say") == "say:latest");
    CHECK(imageName("127.0.0.1:5000", "say") == "127.0.0.1:5000/say:latest");
    CHECK(imageName("ghcr.io/me/", "say") == "ghcr.io/me/say:latest");
}

TEST_CASE("a new stack file names gateway, lang, handler and image", "[build]") {
    auto text = stackFileText("http://127.0.0.1:8080", "say", "go", "./say", "say:latest");
    auto root = YAML::Load(text);
    CHECK(root["version"].as<std::string>() == "1.0");
    CHECK(root["provider"]["name"].as<std::string>() == "openfaas");
    CHECK(root["provider"]["gateway"].as<std::string>() == "http://127.0.0.1:8080");
    CHECK(root["functions"]["say"]["lang"].as<std::string>() == "go");
    CHECK(root["functions"]["say"]["handler"].as<std::string>() == "./say");
    CHECK(root["functions"]["say"]["image"].as<std::string>() == "say:latest");
}

TEST_CASE("--append adds to functions: and keeps the rest", "[build]") {
    const std::string before = "# my functions\nversion: 1.0\nfunctions:\n"
                               "    one:   # the first\n        lang: go\n        handler: ./one\n"
                               "        image: one:latest\n\n"
                               "configuration:\n  templates: []\n";
    auto after = appendFunction(before, "s.yml", "two", "bash", "./two", "two:latest");
    REQUIRE(after);
    CHECK(after->find("# my functions\n") == 0);
    CHECK(after->find("    one:   # the first\n") != std::string::npos);
    // The new entry uses the file's indentation and comes before the next section.
    CHECK(after->find("    two:\n        lang: bash\n        handler: ./two\n"
                      "        image: two:latest\n") != std::string::npos);
    CHECK(after->find("    two:") < after->find("configuration:"));
    auto root = YAML::Load(*after);
    CHECK(root["functions"].size() == 2);
    CHECK(root["configuration"]["templates"].IsSequence());

    auto dup = appendFunction(*after, "s.yml", "one", "go", "./one", "one:latest");
    REQUIRE_FALSE(dup);
    CHECK(dup.error().message() == "s.yml:4: functions: one is already there");

    auto none = appendFunction("version: 1.0\n", "s.yml", "one", "go", "./one", "one:latest");
    REQUIRE(none);
    CHECK(YAML::Load(*none)["functions"]["one"]["image"].as<std::string>() == "one:latest");

    auto broken = appendFunction("functions: [\n", "s.yml", "one", "go", "./one", "one:latest");
    REQUIRE_FALSE(broken);
    CHECK(broken.error().message().rfind("s.yml:", 0) == 0);
}

TEST_CASE("faasd new creates the folder and stack file, or nothing", "[build]") {
    auto dir = TempDir::create("faasd-new-").value();
    auto tmpl = findTemplate(FAASD_SOURCE_TEMPLATES, "go").value();
    NewFunctionOptions options{.name = "say", .dir = dir.path(), .prefix = "127.0.0.1:5000"};
    auto made = createFunction(tmpl, options);
    REQUIRE(made);
    CHECK(made->image == "127.0.0.1:5000/say:latest");
    CHECK(fs::exists(dir.path() / "say" / "handler.go"));
    CHECK(fs::exists(dir.path() / "say" / "go.mod"));
    auto handler = readFile(dir.path() / "say" / "handler.go").value();
    CHECK(handler.find("func Handle(req []byte) string") != std::string::npos);
    CHECK(handler.find("Hello, Go. You said: %s") != std::string::npos);
    auto stack = YAML::LoadFile((dir.path() / "say.yml").string());
    CHECK(stack["functions"]["say"]["handler"].as<std::string>() == "./say");

    // Again: refused, and the stack file is untouched.
    auto before = readFile(dir.path() / "say.yml").value();
    CHECK_FALSE(createFunction(tmpl, options));
    CHECK(readFile(dir.path() / "say.yml").value() == before);

    // A bad name creates nothing.
    options.name = "Bad_Name";
    CHECK_FALSE(createFunction(tmpl, options));
    CHECK_FALSE(fs::exists(dir.path() / "Bad_Name"));
    CHECK_FALSE(fs::exists(dir.path() / "Bad_Name.yml"));

    // Appending to a stack file that has the name already leaves no folder behind.
    options.name = "say2";
    options.append = dir.path() / "say.yml";
    REQUIRE(createFunction(tmpl, options));
    CHECK(YAML::LoadFile((dir.path() / "say.yml").string())["functions"].size() == 2);
    fs::remove_all(dir.path() / "say2");
    auto dup = createFunction(tmpl, options);
    REQUIRE_FALSE(dup);
    CHECK_FALSE(fs::exists(dir.path() / "say2"));
}

TEST_CASE("faasd new copies the template into ./template beside the stack file", "[build]") {
    auto dir = TempDir::create("faasd-new-").value();
    NewFunctionOptions options{.name = "echo1", .dir = dir.path()};
    options.templatesDir = FAASD_SOURCE_TEMPLATES;
    auto made = scaffoldFunction("bash", options);
    REQUIRE(made);
    CHECK(made->templateCopied);
    CHECK(made->templateDir == dir.path() / "template" / "bash");
    CHECK(fs::exists(dir.path() / "template" / "bash" / "template.yml"));
    CHECK(fs::exists(dir.path() / "template" / ".faasd-origins.json"));
    CHECK(fs::exists(dir.path() / "echo1" / "handler.sh"));
    auto stack = YAML::LoadFile((dir.path() / "echo1.yml").string());
    CHECK(stack["functions"]["echo1"]["lang"].as<std::string>() == "bash");

    // The next function uses the copy in ./template, edits included.
    REQUIRE(writeFileAtomic(dir.path() / "template" / "bash" / "function" / "handler.sh",
                            "echo edited\n"));
    options.name = "echo2";
    made = scaffoldFunction("bash", options);
    REQUIRE(made);
    CHECK_FALSE(made->templateCopied);
    CHECK(readFile(dir.path() / "echo2" / "handler.sh").value() == "echo edited\n");

    // What can be checked first is checked before the template is copied.
    options.name = "Bad_Name";
    CHECK_FALSE(scaffoldFunction("go", options));
    CHECK_FALSE(fs::exists(dir.path() / "template" / "go"));
    options.name = "echo1";
    CHECK_FALSE(scaffoldFunction("go", options));
    CHECK_FALSE(fs::exists(dir.path() / "template" / "go"));
    options.name = "other";
    auto unknown = scaffoldFunction("no-such-lang", options);
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().code() == Code::NotFound);
    CHECK_FALSE(fs::exists(dir.path() / "other"));
    CHECK_FALSE(fs::exists(dir.path() / "other.yml"));
}
