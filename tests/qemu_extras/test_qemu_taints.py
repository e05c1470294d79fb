"""One-sentence explanations of libvirt's taint flags and deprecation messages."""

import pytest

from qemu_extras.taints.explanations import (
    TAINTS,
    UNKNOWN_EXPLANATION,
    explain,
    explain_all,
)

# What virDomainGetMessages returns, as libvirt 9.0 formats it ("tainted: %s").
MESSAGES = [
    ("tainted: custom configuration parameters specified", "custom-argv"),
    ("tainted: custom monitor control commands issued", "custom-monitor"),
    ("tainted: running with undesirable elevated privileges", "high-privileges"),
    ("tainted: network configuration using opaque shell scripts", "shell-scripts"),
    ("tainted: potentially unsafe disk format probing", "disk-probing"),
    ("tainted: managing externally launched configuration", "external-launch"),
    ("tainted: potentially unsafe use of host CPU passthrough", "host-cpu"),
    ("tainted: configuration potentially modified by hook script", "hook-script"),
    ("tainted: use of host cdrom passthrough", "cdrom-passthrough"),
    ("tainted: custom device tree blob used", "custom-dtb"),
    ("tainted: custom guest agent control commands issued", "custom-ga-command"),
    ("tainted: hypervisor feature autodetection override", "custom-hypervisor-feature"),
    ("tainted: use of deprecated configuration settings", "deprecated-config"),
    ("tainted: custom device configuration", "custom-device"),
]


@pytest.mark.parametrize("message,flag", MESSAGES, ids=[flag for _m, flag in MESSAGES])
def test_it_explains_each_taint_message_in_one_sentence(message, flag):
    explained = explain(message)
    assert explained.flag == flag
    assert explained.text == message.removeprefix("tainted: ")
    assert explained.explanation.endswith(".")
    assert explained.explanation.count(". ") == 0  # one sentence


@pytest.mark.parametrize("flag", [flag for flag, _message, _explanation in TAINTS])
def test_it_explains_a_bare_flag_name(flag):
    assert explain(flag).flag == flag


def test_it_explains_the_taint_line_of_the_domain_log():
    line = "2026-11-25 18:00:00.000+0000: Domain id=3 is tainted: custom-monitor"
    assert explain(line).flag == "custom-monitor"


def test_it_explains_a_deprecated_machine_type_naming_it():
    explained = explain("deprecated configuration: machine type 'pc-i440fx-1.4'")
    assert explained.flag == "deprecated-config"
    assert explained.is_deprecation
    assert explained.text == "machine type 'pc-i440fx-1.4'"
    assert "'pc-i440fx-1.4'" in explained.explanation


def test_it_explains_a_deprecated_cpu_model_naming_it():
    explained = explain("deprecated configuration: CPU model 'Icelake-Client'")
    assert "'Icelake-Client'" in explained.explanation
    assert "<cpu><model>" in explained.explanation


def test_it_explains_any_other_deprecation_generically():
    explained = explain("deprecated configuration: something new")
    assert explained.flag == "deprecated-config"
    assert "deprecated" in explained.explanation


def test_it_says_so_for_a_message_it_does_not_know_instead_of_failing():
    explained = explain("tainted: a future taint")
    assert (explained.flag, explained.text, explained.explanation) == (
        None, "a future taint", UNKNOWN_EXPLANATION)
    assert explain("").flag is None
    assert explain(None).flag is None


def test_explain_all_lists_taints_before_deprecations():
    explained = explain_all([
        "deprecated configuration: CPU model 'Icelake-Client'",
        "tainted: custom monitor control commands issued",
        "tainted: use of deprecated configuration settings",
    ])
    assert [item.flag for item in explained] == ["custom-monitor", "deprecated-config",
                                                 "deprecated-config"]
    assert explained[-1].text == "CPU model 'Icelake-Client'"
