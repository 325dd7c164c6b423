"""``--format junit``: JUnit XML for CI dashboards. Each rule is a test case per workbook;
a finding is a failure, a crashed rule an error, a skipped rule skipped."""

from __future__ import annotations

from collections.abc import Sequence
from xml.etree import ElementTree as ET

from alignhealth.reporters.base import Reporter
from alignhealth.reporters.safe import xml_safe
from alignhealth.runresult import RunResult


class JunitReporter(Reporter):
    name = "junit"
    uses_graph = False
    description = "JUnit XML: rules as test cases, findings as failures, crashes as errors"

    def render(self, result: RunResult) -> str:
        return self.render_many([result], result.exit_code)

    def render_many(self, results: Sequence[RunResult], exit_code: int) -> str:
        root = ET.Element("testsuites", name="alignhealth")
        totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for result in results:
            suite = self._suite(result)
            root.append(suite)
            for key in totals:
                totals[key] += int(suite.get(key, "0"))
        for key, value in totals.items():
            root.set(key, str(value))
        ET.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"

    def _suite(self, result: RunResult) -> ET.Element:
        suite = ET.Element(
            "testsuite", name=xml_safe(result.source.path), timestamp=result.as_of.isoformat()
        )
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for error in result.errors:
            case = ET.SubElement(suite, "testcase", name=error.code, classname="alignhealth.input")
            ET.SubElement(case, "error", message=xml_safe(error.message), type=error.code)
            counts["tests"] += 1
            counts["errors"] += 1
        active = result.active_findings()
        for outcome in result.outcomes:
            classname = f"alignhealth.{outcome.code}"
            title = f"{outcome.code} {outcome.name}"
            mine = [f for f in active if f.code == outcome.code]
            if outcome.status == "error":
                case = ET.SubElement(suite, "testcase", name=title, classname=classname)
                ET.SubElement(
                    case, "error", message=xml_safe(outcome.reason or "crashed"), type="rule-error"
                )
                counts["tests"] += 1
                counts["errors"] += 1
            elif outcome.status == "skipped":
                case = ET.SubElement(suite, "testcase", name=title, classname=classname)
                ET.SubElement(case, "skipped", message=xml_safe(outcome.reason or ""))
                counts["tests"] += 1
                counts["skipped"] += 1
            elif not mine:
                ET.SubElement(
                    suite,
                    "testcase",
                    name=title,
                    classname=classname,
                    time=f"{outcome.duration_ms / 1000:.4f}",
                )
                counts["tests"] += 1
            for finding in mine:
                where = finding.location.cell if finding.location else None
                case = ET.SubElement(
                    suite,
                    "testcase",
                    classname=classname,
                    name=xml_safe(f"{finding.code} {finding.entity.id} {where or ''}".strip()),
                )
                failure = ET.SubElement(
                    case, "failure", message=xml_safe(finding.message), type=finding.severity.value
                )
                failure.text = xml_safe(
                    f"{finding.message}\nrule: {finding.code} {finding.name}\n"
                    f"cell: {where or '-'}\nhint: {finding.hint or ''}"
                )
                counts["tests"] += 1
                counts["failures"] += 1
        for key, value in counts.items():
            suite.set(key, str(value))
        return suite
