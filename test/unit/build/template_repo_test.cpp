#include "build/template_repo.hpp"
#include "catch_result.hpp"
#include "common/files.hpp"
#include "common/subprocess.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <regex>

using namespace faasd;
using namespace faasd::build;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// A template in OpenFaaS's layout with faasd's host recipe.
std::string templateYml(const std::string& lang, const std::string& fprocess = "./handler") {
    return fmt::format("language: {}\nfprocess: {}\nfaasd:\n  pack:\n    - from: function\n"
                       "      to: /home/app/function\n",
                       lang, fprocess);
}

void writeTemplate(const fs::path& root, const std::string& lang,
                   const std::string& fprocess = "./handler") {
    fs::create_directories(root / lang / "function");
    REQUIRE(writeFileAtomic(root / lang / "template.yml", templateYml(lang, fprocess)));
    REQUIRE(writeFileAtomic(root / lang / "function" / "handler.sh", "cat\n", 0755));
}

void runOk(std::vector<std::string> argv, const fs::path& cwd) {
    SubprocessOptions options;
    options.argv = std::move(argv);
    options.cwd = cwd.string();
    auto out = run(options, "", 60s);
    REQUIRE(out);
    INFO(commandLine(options.argv) << ": " << out->err);
    REQUIRE(out->status == 0);
}

// A git repository in OpenFaaS's layout (template/<lang>/); branch "main"
// has a and b, branch "other" has c as well.
fs::path makeGitRepo(const fs::path& at) {
    fs::create_directories(at);
    writeTemplate(at / "template", "a");
    writeTemplate(at / "template", "b");
    REQUIRE(writeFileAtomic(at / "README.md", "templates\n"));
    const std::vector<std::string> git = {"git", "-c", "user.name=test", "-c",
                                          "user.email=test@example.com"};
    auto g = [&](std::vector<std::string> args) {
        std::vector<std::string> argv = git;
        argv.insert(argv.end(), args.begin(), args.end());
        runOk(argv, at);
    };
    g({"init", "-q", "-b", "main"});
    g({"add", "."});
    g({"commit", "-q", "-m", "templates"});
    g({"checkout", "-q", "-b", "other"});
    writeTemplate(at / "template", "c");
    g({"add", "."});
    g({"commit", "-q", "-m", "c"});
    g({"checkout", "-q", "main"});
    return at;
}

struct Member {
    std::string path;
    std::string content; // a file's
    std::string symlink; // a link's target
    bool directory = false;
};

// A .tar.gz written with libarchive, so that it can hold what tar(1)
// would refuse to make.
void writeTarball(const fs::path& file, const std::vector<Member>& members) {
    archive* a = archive_write_new();
    archive_write_add_filter_gzip(a);
    archive_write_set_format_pax_restricted(a);
    REQUIRE(archive_write_open_filename(a, file.c_str()) == ARCHIVE_OK);
    for (const auto& m : members) {
        archive_entry* e = archive_entry_new();
        archive_entry_set_pathname(e, m.path.c_str());
        if (m.directory) {
            archive_entry_set_filetype(e, AE_IFDIR);
            archive_entry_set_perm(e, 0755);
        } else if (!m.symlink.empty()) {
            archive_entry_set_filetype(e, AE_IFLNK);
            archive_entry_set_symlink(e, m.symlink.c_str());
            archive_entry_set_perm(e, 0777);
        } else {
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_perm(e, 0644);
            archive_entry_set_size(e, static_cast<la_int64_t>(m.content.size()));
        }
        REQUIRE(archive_write_header(a, e) == ARCHIVE_OK);
        if (!m.content.empty()) {
            archive_write_data(a, m.content.data(), m.content.size());
        }
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
}

std::vector<Member> templateMembers(const std::string& prefix, const std::string& lang) {
    return {{prefix + lang + "/template.yml", templateYml(lang)},
            {prefix + lang + "/function/handler.sh", "cat\n"}};
}

nlohmann::json origins(const fs::path& dest) {
    return nlohmann::json::parse(readFile(dest / ".faasd-origins.json").value());
}

std::vector<std::string> entriesOf(const fs::path& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        out.push_back(it->path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace

TEST_CASE("template pull: a folder in OpenFaaS's layout (template/<lang>)", "[build]") {
    auto tmp = TempDir::create("faasd-pull-").value();
    const fs::path source = tmp.path() / "repo";
    writeTemplate(source / "template", "a");
    writeTemplate(source / "template", "b");
    const fs::path dest = tmp.path() / "work" / "template";
    fs::create_directories(dest.parent_path());

    auto pulled = pullTemplates(source.string(), dest, false);
    REQUIRE(pulled);
    CHECK(pulled->written == std::vector<std::string>{"a", "b"});
    CHECK(pulled->skipped.empty());
    CHECK(pulled->source == source.string());
    CHECK(readFile(dest / "a" / "template.yml").value() == templateYml("a"));
    CHECK((fs::status(dest / "b" / "function" / "handler.sh").permissions() &
           fs::perms::owner_exec) != fs::perms::none);
    auto o = origins(dest);
    CHECK(o["a"]["source"] == source.string());
    CHECK(std::regex_match(o["b"]["pulled"].get<std::string>(),
                           std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
    // Nothing is left beside the destination.
    CHECK(entriesOf(dest.parent_path()) == std::vector<std::string>{"template"});
    CHECK(entriesOf(dest) == std::vector<std::string>{".faasd-origins.json", "a", "b"});
}

TEST_CASE("template pull: a folder holding <lang> folders, as faasd installs them", "[build]") {
    auto tmp = TempDir::create("faasd-pull-").value();
    writeTemplate(tmp.path() / "templates", "a");
    REQUIRE(writeFileAtomic(tmp.path() / "templates" / "README", "not a template\n"));
    auto pulled =
        pullTemplates((tmp.path() / "templates").string(), tmp.path() / "template", false);
    REQUIRE(pulled);
    CHECK(pulled->written == std::vector<std::string>{"a"});
    CHECK(fs::exists(tmp.path() / "template" / "a" / "function" / "handler.sh"));

    // faasd's own templates, through the explicit folder (as with no SOURCE).
    PullOptions options;
    options.templatesDir = (tmp.path() / "templates").string();
    options.destDir = tmp.path() / "other" / "template";
    auto own = pullTemplates(options);
    REQUIRE(own);
    CHECK(own->written == std::vector<std::string>{"a"});
    CHECK(own->source == "faasd (installed) " + (tmp.path() / "templates").string());
}

TEST_CASE("template pull: a .tar.gz with a single top-level folder, as GitHub's", "[build]") {
    auto tmp = TempDir::create("faasd-pull-").value();
    writeTemplate(tmp.path() / "templates-main" / "template", "a");
    runOk({"tar", "-czf", "templates.tar.gz", "templates-main"}, tmp.path());
    fs::remove_all(tmp.path() / "templates-main");

    auto pulled =
        pullTemplates((tmp.path() / "templates.tar.gz").string(), tmp.path() / "template", false);
    REQUIRE(pulled);
    CHECK(pulled->written == std::vector<std::string>{"a"});
    CHECK(readFile(tmp.path() / "template" / "a" / "function" / "handler.sh").value() == "cat\n");
    CHECK(origins(tmp.path() / "template")["a"]["source"] ==
          (tmp.path() / "templates.tar.gz").string());
}

TEST_CASE("template pull: a tarball cannot write outside its folder", "[build]") {
    auto tmp = TempDir::create("faasd-pull-").value();
    const fs::path dest = tmp.path() / "work" / "template";
    fs::create_directories(dest.parent_path());
    auto attempt = [&](std::vector<Member> extra) {
        auto members = templateMembers("template/", "a");
        members.insert(members.end(), extra.begin(), extra.end());
        const fs::path file = tmp.path() / "bad.tgz";
        writeTarball(file, members);
        auto pulled = pullTemplates(file.string(), dest, false);
        CHECK_FALSE(fs::exists(dest));
        CHECK_FALSE(fs::exists(tmp.path() / "evil"));
        REQUIRE_FALSE(pulled);
        return pulled.error().message();
    };
    CHECK_THAT(attempt({{"../evil", "x"}}), Catch::Contains("\"..\" in the tarball"));
    CHECK_THAT(attempt({{"template/a/../../../evil", "x"}}),
               Catch::Contains("\"..\" in the tarball"));
    CHECK_THAT(attempt({{"/evil", "x"}}), Catch::Contains("absolute path"));
    CHECK_THAT(attempt({{"template/a/etc", "", "/etc"}}), Catch::Contains("absolute path"));
    CHECK_THAT(attempt({{"template/a/up", "", "../../.."}}), Catch::Contains("leaves the tarball"));
    // A link that stays in the tarball but leaves its template is refused
    // too: the copy in ./template would point nowhere (or somewhere else).
    CHECK_THAT(attempt({{"template/a/readme", "", "../../README"}, {"README", "hi"}}),
               Catch::Contains("leaves the template"));
    // A link inside the template is kept as a link.
    writeTarball(tmp.path() / "ok.tgz", [] {
        auto m = templateMembers("", "a");
        m.push_back({"a/function/run.sh", "", "handler.sh"});
        return m;
    }());
    REQUIRE(pullTemplates((tmp.path() / "ok.tgz").string(), dest, false));
    CHECK(fs::is_symlink(dest / "a" / "function" / "run.sh"));
    CHECK(fs::read_symlink(dest / "a" / "function" / "run.sh") == "handler.sh");
}

TEST_CASE("template pull: a git repository, by file:// URL, by path.git and at a branch",
          "[build]") {
    auto tmp = TempDir::create("faasd-pull-").value();
    const fs::path repo = makeGitRepo(tmp.path() / "templates.git");

    const std::string url = "file://" + repo.string();
    auto pulled = pullTemplates(url, tmp.path() / "one" / "template", false);
    REQUIRE(pulled);
    CHECK(pulled->written == std::vector<std::string>{"a", "b"});
    CHECK(origins(tmp.path() / "one" / "template")["b"]["source"] == url);
    CHECK_FALSE(fs::exists(tmp.path() / "one" / "template" / ".git"));

    auto byPath = pullTemplates(repo.string(), tmp.path() / "two" / "template", false);
    REQUIRE(byPath);
    CHECK(byPath->written == std::vector<std::string>{"a", "b"});

    auto branch = pullTemplates(url + "#other", tmp.path() / "three" / "template", false);
    REQUIRE(branch);
    CHECK(branch->written == std::vector<std::string>{"a", "b", "c"});
    CHECK(origins(tmp.path() / "three" / "template")["c"]["source"] == url + "#other");

    auto missing = pullTemplates(url + "#nope", tmp.path() / "four" / "template", false);
    REQUIRE_FALSE(missing);
    CHECK_THAT(missing.error().message(), Catch::Contains("git clone"));
    CHECK_FALSE(fs::exists(tmp.path() / "four"));
}

TEST_CASE("template pull: a broken template.yml is named and nothing is written", "[build]") {
    auto tmp = TempDir::create("faasd-pull-").value();
    const fs::path source = tmp.path() / "repo";
    writeTemplate(source / "template", "a");
    fs::create_directories(source / "template" / "b");
    REQUIRE(writeFileAtomic(source / "template" / "b" / "template.yml",
                            "language: b\nfprocess: [oops\n"));
    const fs::path dest = tmp.path() / "work" / "template";
    fs::create_directories(dest.parent_path());

    auto pulled = pullTemplates(source.string(), dest, false);
    REQUIRE_FALSE(pulled);
    const std::string file = (source / "template" / "b" / "template.yml").string();
    CHECK_THAT(pulled.error().message(),
               Catch::Contains(file + ":3:") || Catch::Contains(file + ":2:"));
    CHECK_FALSE(fs::exists(dest));
    CHECK(entriesOf(dest.parent_path()).empty());

    // The same from a tarball names the file inside the tarball.
    writeTarball(tmp.path() / "t.tgz", {{"template/b/template.yml", "language: b\nfprocess: [\n"}});
    auto fromTar = pullTemplates((tmp.path() / "t.tgz").string(), dest, false);
    REQUIRE_FALSE(fromTar);
    CHECK_THAT(fromTar.error().message(), Catch::Contains(": template/b/template.yml:"));
    CHECK_FALSE(fs::exists(dest));

    // A folder without a template.yml is not a template either.
    fs::remove_all(source / "template" / "b");
    fs::create_directories(source / "template" / "c");
    REQUIRE_FALSE(pullTemplates(source.string(), dest, false));
    CHECK_FALSE(fs::exists(dest));

    REQUIRE_FALSE(pullTemplates((tmp.path() / "nothing-here").string(), dest, false));
    auto empty = pullTemplates(tmp.path().string() + "/work", dest, false);
    REQUIRE_FALSE(empty);
    CHECK_THAT(empty.error().message(), Catch::Contains("no templates in"));
}

TEST_CASE("template pull keeps existing templates unless told to overwrite", "[build]") {
    auto tmp = TempDir::create("faasd-pull-").value();
    const fs::path source = tmp.path() / "repo";
    writeTemplate(source, "a", "first");
    const fs::path dest = tmp.path() / "template";
    REQUIRE(pullTemplates(source.string(), dest, false));
    REQUIRE(writeFileAtomic(dest / "a" / "mine.txt", "edited\n"));

    writeTemplate(source, "a", "second");
    writeTemplate(source, "b");
    auto kept = pullTemplates(source.string(), dest, false);
    REQUIRE(kept);
    CHECK(kept->written == std::vector<std::string>{"b"});
    CHECK(kept->skipped == std::vector<std::string>{"a"});
    CHECK(readFile(dest / "a" / "template.yml").value() == templateYml("a", "first"));
    CHECK(fs::exists(dest / "a" / "mine.txt"));

    auto replaced = pullTemplates(source.string(), dest, true);
    REQUIRE(replaced);
    CHECK(replaced->written == std::vector<std::string>{"a", "b"});
    CHECK(replaced->skipped.empty());
    CHECK(readFile(dest / "a" / "template.yml").value() == templateYml("a", "second"));
    CHECK_FALSE(fs::exists(dest / "a" / "mine.txt"));
    CHECK(origins(dest).size() == 2);
    CHECK(entriesOf(tmp.path()) == std::vector<std::string>{"repo", "template"});

    // Nothing to write: nothing is touched, not even the origins.
    const auto before = readFile(dest / ".faasd-origins.json").value();
    auto again = pullTemplates(source.string(), dest, false);
    REQUIRE(again);
    CHECK(again->written.empty());
    CHECK(readFile(dest / ".faasd-origins.json").value() == before);
}

TEST_CASE("resolveTemplate prefers ./template beside the stack file", "[build]") {
    auto tmp = TempDir::create("faasd-resolve-").value();
    const fs::path installed = tmp.path() / "installed";
    writeTemplate(installed, "a", "installed-a");
    writeTemplate(installed, "b", "installed-b");
    const fs::path stack = tmp.path() / "stack";
    writeTemplate(stack / "template", "a", "local-a");
    writeTemplate(stack / "template", "c", "local-c");

    CHECK(resolveTemplate(stack, installed.string(), "a").value().fprocess == "local-a");
    CHECK(resolveTemplate(stack, installed.string(), "b").value().fprocess == "installed-b");
    CHECK(resolveTemplate(stack, installed.string(), "c").value().fprocess == "local-c");

    auto missing = resolveTemplate(stack, installed.string(), "d");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code() == Code::NotFound);
    CHECK_THAT(missing.error().message(),
               Catch::Contains("a, c (" + (stack / "template").string() + ")") &&
                   Catch::Contains("a, b (" + installed.string() + ")"));
    CHECK(resolveTemplate(stack, installed.string(), "../a").error().code() ==
          Code::InvalidArgument);

    // A broken local template is an error naming it, not a fall-back.
    REQUIRE(writeFileAtomic(stack / "template" / "a" / "template.yml",
                            "language: a\nfprocess: x\nfaasd:\n  mode: fast\n"));
    auto broken = resolveTemplate(stack, installed.string(), "a");
    REQUIRE_FALSE(broken);
    CHECK_THAT(broken.error().message(),
               Catch::StartsWith((stack / "template" / "a" / "template.yml").string() + ":4:"));
}

TEST_CASE("ensureLocalTemplate copies the installed template once", "[build]") {
    auto tmp = TempDir::create("faasd-ensure-").value();
    const fs::path installed = tmp.path() / "installed";
    writeTemplate(installed, "a", "installed-a");
    const fs::path stack = tmp.path() / "stack";
    fs::create_directories(stack);

    auto t = ensureLocalTemplate(stack, "a", installed.string());
    REQUIRE(t);
    CHECK(t->dir == stack / "template" / "a");
    CHECK(t->fprocess == "installed-a");
    CHECK(fs::exists(stack / "template" / "a" / "function" / "handler.sh"));
    CHECK(origins(stack / "template")["a"]["source"] == "faasd (installed) " + installed.string());

    // The local copy is the template from now on, edits included.
    REQUIRE(writeFileAtomic(stack / "template" / "a" / "template.yml", templateYml("a", "mine")));
    CHECK(ensureLocalTemplate(stack, "a", installed.string()).value().fprocess == "mine");
    CHECK(resolveTemplate(stack, installed.string(), "a").value().fprocess == "mine");

    REQUIRE_FALSE(ensureLocalTemplate(stack, "zz", installed.string()));
    CHECK_FALSE(fs::exists(stack / "template" / "zz"));

    // The project's own templates copy as they are.
    auto bash = ensureLocalTemplate(stack, "bash", FAASD_SOURCE_TEMPLATES);
    REQUIRE(bash);
    CHECK(fs::is_directory(stack / "template" / "bash" / "function"));
}

TEST_CASE("template listing: ./template with origins first, then installed ones not shadowed",
          "[build]") {
    auto tmp = TempDir::create("faasd-list-").value();
    const fs::path installed = tmp.path() / "installed";
    writeTemplate(installed, "a", "installed-a");
    writeTemplate(installed, "b", "installed-b");
    const fs::path stack = tmp.path() / "stack";
    writeTemplate(tmp.path() / "repo" / "template", "c", "pulled-c");
    REQUIRE(pullTemplates((tmp.path() / "repo").string(), stack / "template", false));
    REQUIRE(ensureLocalTemplate(stack, "a", installed.string()));
    writeTemplate(stack / "template", "d", "hand-made");

    auto all = listVisibleTemplates(stack, installed.string());
    REQUIRE(all);
    std::vector<std::string> rows;
    for (const auto& l : *all) {
        rows.push_back(
            fmt::format("{} {} {} {}", l.tmpl.language, l.local, l.tmpl.fprocess, l.source));
    }
    CHECK(rows == std::vector<std::string>{
                      "a true installed-a faasd (installed) " + installed.string(),
                      "c true pulled-c " + (tmp.path() / "repo").string(),
                      "d true hand-made local",
                      "b false installed-b " + installed.string(),
                  });
    auto table = formatTemplateTable(*all);
    CHECK(table.rfind("LANGUAGE  MODE     FPROCESS     SOURCE\n", 0) == 0);
    CHECK_THAT(table, Catch::Contains("d         classic  hand-made    local\n"));
    CHECK_THAT(table, Catch::Contains("installed: " + installed.string()));

    // An explicit folder that does not exist is an error, not an empty list.
    CHECK_FALSE(listVisibleTemplates(stack, (tmp.path() / "missing").string()));
}
