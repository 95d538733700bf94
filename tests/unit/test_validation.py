"""Names, keys, label values and annotations are checked with Kubernetes' rules."""

import base64

import pytest
from fastapi.exceptions import RequestValidationError

from mayyam.api.validation import (
    MAX_ANNOTATIONS_BYTES,
    Problem,
    check_annotation_key,
    check_annotations,
    check_data_key,
    check_dns1123_label,
    check_dns1123_subdomain,
    check_label_value,
    check_labels,
    check_qualified_name,
    decoded_size,
    validation_error,
)


@pytest.mark.parametrize("name", ["a", "0", "web", "web-1", "1-web", "a" * 63, "a--b"])
def test_valid_dns1123_labels_have_no_problems(name: str) -> None:
    assert check_dns1123_label(name) == []


@pytest.mark.parametrize(
    "name",
    ["", "-web", "web-", "Web", "web_1", "web.1", "a" * 64, "wéb", "web\n", " web", "web/x"],
)
def test_invalid_dns1123_labels_are_refused(name: str) -> None:
    assert check_dns1123_label(name) != []


def test_a_long_and_malformed_label_names_both_problems() -> None:
    problems = check_dns1123_label("A" * 64)

    assert len(problems) == 2
    assert "63" in problems[0]


@pytest.mark.parametrize(
    "name", ["a", "example.com", "a.b-c.d", "a" * 63 + "." + "b" * 63, "x" * 253]
)
def test_valid_dns1123_subdomains_have_no_problems(name: str) -> None:
    assert check_dns1123_subdomain(name) == []


@pytest.mark.parametrize(
    "name", ["", ".a", "a.", "a..b", "a.-b", "a-.b", "A.b", "x" * 254, "a_b", "a:b"]
)
def test_invalid_dns1123_subdomains_are_refused(name: str) -> None:
    assert check_dns1123_subdomain(name) != []


@pytest.mark.parametrize(
    "key",
    [
        "app",
        "App",
        "a",
        "app.kubernetes.io/name",
        "example.com/Team_1",
        "a" * 63,
        "x" * 253 + "/" + "y" * 63,
        "a/b",
        "my.app_name-1",
        "a_b.c-d",
        "example.com/X",
        "x" * 63,
    ],
)
def test_valid_label_keys_have_no_problems(key: str) -> None:
    assert check_qualified_name(key) == []


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("", id="empty"),
        pytest.param("/app", id="empty-prefix"),
        pytest.param("example.com/", id="empty-name"),
        pytest.param("a/b/c", id="two-slashes"),
        pytest.param("a" * 64, id="name-too-long"),
        pytest.param("x" * 254 + "/app", id="prefix-too-long"),
        pytest.param("Example.com/app", id="upper-case-prefix"),
        pytest.param("example_com/app", id="underscore-in-prefix"),
        pytest.param("-app", id="leading-dash"),
        pytest.param("app_", id="trailing-underscore"),
        pytest.param(".app", id="leading-dot"),
        pytest.param("app name", id="space"),
        pytest.param("app\n", id="trailing-newline"),
        pytest.param("äpp", id="not-ascii"),
        pytest.param("app-", id="trailing-dash"),
        pytest.param("app/", id="slash-without-name"),
        pytest.param("x" * 64, id="name-of-64"),
        pytest.param("a b", id="space-inside"),
    ],
)
def test_invalid_label_keys_are_refused(key: str) -> None:
    assert check_qualified_name(key) != []


def test_a_label_key_problem_says_which_part_is_wrong() -> None:
    assert all(p.startswith("prefix") for p in check_qualified_name("Bad_Prefix/app"))
    assert all(p.startswith("name part") for p in check_qualified_name("example.com/-app"))


@pytest.mark.parametrize("value", ["", "v", "V1", "1.0", "a_b-c.d", "a" * 63, "v1.2_3-x"])
def test_valid_label_values_have_no_problems(value: str) -> None:
    assert check_label_value(value) == []


@pytest.mark.parametrize(
    "value", ["a" * 64, "-v", "v-", "_v", "v.", "a b", "a/b", "a:b", "v\n", "ü", "-x"]
)
def test_invalid_label_values_are_refused(value: str) -> None:
    assert check_label_value(value) != []


@pytest.mark.parametrize("key", ["a", "A-b_c.d", "tls.crt", ".hidden", "x" * 253])
def test_valid_data_keys_have_no_problems(key: str) -> None:
    assert check_data_key(key) == []


@pytest.mark.parametrize("key", ["", "a b", "a/b", "é", ".", "..", "..data", "x" * 254])
def test_invalid_data_keys_are_refused(key: str) -> None:
    assert check_data_key(key) != []


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 1000])
def test_the_decoded_size_of_base64_is_exact(size: int) -> None:
    assert decoded_size(base64.b64encode(b"x" * size).decode()) == size


def test_check_labels_names_each_bad_key_and_value() -> None:
    problems = check_labels({"ok": "fine", "bad key": "fine", "team": "-bad"})

    assert [p.loc for p in problems] == [("labels", "bad key", "[key]"), ("labels", "team")]
    assert all(p.message for p in problems)


def test_check_labels_places_problems_below_the_given_location() -> None:
    [problem] = check_labels({"a": "-"}, loc=("metadata", "labels"))

    assert problem.loc == ("metadata", "labels", "a")


def test_annotation_keys_follow_the_label_key_rules_in_any_case() -> None:
    problems = check_annotations({"Example.com/Note": "x", "ok/b/c": "y", "fine": "z" * 1000})

    assert [p.loc for p in problems] == [("annotations", "ok/b/c", "[key]")]


def test_annotation_keys_may_have_capitals_in_the_prefix_but_labels_may_not() -> None:
    assert check_annotation_key("Example.com/Note") == []
    assert check_qualified_name("Example.com/Note") != []


def test_annotations_together_may_hold_at_most_256_kib() -> None:
    at_limit = {"a": "x" * (MAX_ANNOTATIONS_BYTES - 1)}
    over = {"a": "x" * MAX_ANNOTATIONS_BYTES}

    assert check_annotations(at_limit) == []
    [problem] = check_annotations(over)
    assert problem.loc == ("annotations",)


def test_problems_become_a_validation_error_naming_their_fields() -> None:
    error = validation_error([Problem(("labels", "team"), "must be short")])

    assert isinstance(error, RequestValidationError)
    [detail] = error.errors()
    assert detail["loc"] == ("body", "labels", "team")
    assert detail["msg"] == "must be short"
