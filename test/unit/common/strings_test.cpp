#include "common/strings.hpp"

#include <catch2/catch.hpp>

using namespace faasd;

TEST_CASE("asciiLower folds A-Z only", "[strings]") {
    CHECK(asciiLower("Content-Type") == "content-type");
    CHECK(asciiLower("") == "");
    CHECK(asciiLower("ABC xyz 019 [@]") == "abc xyz 019 [@]");
    CHECK(asciiLower("\xC3\x89T\xC3\x89") == "\xC3\x89t\xC3\x89"); // UTF-8 bytes kept
    STATIC_REQUIRE(asciiLower('Z') == 'z');
    STATIC_REQUIRE(asciiLower('@') == '@');
}

TEST_CASE("iequals compares ASCII without case", "[strings]") {
    CHECK(iequals("Content-LENGTH", "content-length"));
    CHECK(iequals("", ""));
    CHECK_FALSE(iequals("Content-Lengtx", "content-length"));
    CHECK_FALSE(iequals("content-length", "content-lengt"));
    CHECK_FALSE(iequals("[", "{")); // not letters: no case folding
    CHECK_FALSE(iequals("@", "`"));
    STATIC_REQUIRE(iequals("TE", "te"));
}

TEST_CASE("istartsWith compares a prefix without case", "[strings]") {
    CHECK(istartsWith("Basic YWRtaW4=", "basic "));
    CHECK(istartsWith("BASIC ", "basic "));
    CHECK(istartsWith("anything", ""));
    CHECK_FALSE(istartsWith("Basi", "basic"));
    CHECK_FALSE(istartsWith("Bearer x", "basic "));
}

TEST_CASE("hexDigitValue reads one hex digit", "[strings]") {
    CHECK(hexDigitValue('0') == 0);
    CHECK(hexDigitValue('9') == 9);
    CHECK(hexDigitValue('a') == 10);
    CHECK(hexDigitValue('F') == 15);
    CHECK(hexDigitValue('g') == -1);
    CHECK(hexDigitValue('%') == -1);
}

TEST_CASE("percentDecode decodes escapes and refuses bad ones", "[strings]") {
    CHECK(percentDecode("a%20b").value() == "a b");
    CHECK(percentDecode("%41%62%2f%2F").value() == "Ab//");
    CHECK(percentDecode("").value() == "");
    CHECK(percentDecode("plain").value() == "plain");
    CHECK(percentDecode("%00").value() == std::string(1, '\0'));
    CHECK(percentDecode("%C3%A9").value() == "\xC3\xA9");
    CHECK(percentDecode("a+b").value() == "a+b");
    CHECK(percentDecode("a+b", PlusIs::Space).value() == "a b");
    CHECK(percentDecode("%2B", PlusIs::Space).value() == "+"); // an escaped '+' stays one
    CHECK_FALSE(percentDecode("%"));
    CHECK_FALSE(percentDecode("%4"));
    CHECK_FALSE(percentDecode("abc%4"));
    CHECK_FALSE(percentDecode("%zz"));
    CHECK_FALSE(percentDecode("%4g"));
    CHECK_FALSE(percentDecode("ok%20then%"));
}

TEST_CASE("percentDecodeLenient keeps a bad escape as it is", "[strings]") {
    CHECK(percentDecodeLenient("a%20b") == "a b");
    CHECK(percentDecodeLenient("100%") == "100%");
    CHECK(percentDecodeLenient("%4") == "%4");
    CHECK(percentDecodeLenient("%zz%41") == "%zzA");
    CHECK(percentDecodeLenient("x+y%2By", PlusIs::Space) == "x y+y");
    CHECK(percentDecodeLenient("x+y") == "x+y");
}

TEST_CASE("Prometheus label values escape backslash, quote and newline", "[strings]") {
    CHECK(prometheusLabelValue("echo.openfaas-fn") == "echo.openfaas-fn");
    CHECK(prometheusLabelValue("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
    CHECK(prometheusLabelValue("").empty());
}

TEST_CASE("blanks, trimming and splitting", "[strings]") {
    CHECK(trimBlank(" \t\r\n\f\va b\v ") == "a b");
    CHECK(trimBlank(" \t ").empty());
    CHECK_FALSE(isBlank('x'));
    using Parts = std::vector<std::string_view>;
    CHECK(splitOn("a,,b", ',') == Parts{"a", "", "b"});
    CHECK(splitOn("", ',') == Parts{""});
    CHECK(splitOn("a,", ',') == Parts{"a", ""});
    CHECK(splitWords(" a \tb\n c ") == Parts{"a", "b", "c"});
    CHECK(splitWords(" \t ").empty());
}
