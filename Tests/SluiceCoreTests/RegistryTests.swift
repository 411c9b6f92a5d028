import SluiceCore
import SluiceSupport
import XCTest

final class RegistryTests: XCTestCase {
    func testNamesAreUniqueAndLookupWorks() {
        let names = StepRegistry.names
        XCTAssertEqual(Set(names).count, names.count)
        XCTAssertEqual(names, ["filter", "map", "select", "drop", "to", "aggregate", "window", "lookup", "join"])
        for name in names { XCTAssertEqual(StepRegistry.step(named: name)?.name, name) }
        XCTAssertNil(StepRegistry.step(named: "fliter"))
    }

    /// Every step's documented example is a valid step, with no diagnostics at all.
    func testEveryStepExampleValidates() {
        for step in StepRegistry.all {
            var text = SpecFixtures.pipeline(steps: SpecFixtures.indent(step.example))
            // Join examples name a second source: customers (lookup) or payments (join).
            for other in ["customers", "payments"] where step.example.contains(": \(other)\n") {
                text = text.replacingOccurrences(
                    of: "source:\n  topics: [input-topic]",
                    with: "sources:\n  input: {topics: [input-topic]}\n  \(other): {topics: [\(other)]}")
            }
            let (spec, diagnostics) = SpecFixtures.load(text)
            XCTAssertEqual(rendered(diagnostics), "", "example of \(step.name)")
            XCTAssertEqual(spec?.steps.first?.typeName, step.name)
            XCTAssertEqual(spec?.steps.count, 1)
        }
    }

    func testDeclarationsAreComplete() {
        for step in StepRegistry.all {
            XCTAssertFalse(step.summary.isEmpty, step.name)
            XCTAssertFalse(step.description.isEmpty, step.name)
            XCTAssertTrue(step.example.hasPrefix("- \(step.name):"), step.name)
            if let shorthand = step.shorthandField {
                XCTAssertTrue(step.fields.contains { $0.name == shorthand }, step.name)
            }
            for field in step.fields {
                XCTAssertFalse(field.description.isEmpty, "\(step.name).\(field.name)")
                XCTAssertFalse(field.required && field.defaultValue != nil, "\(step.name).\(field.name)")
            }
        }
    }

    /// Defaults are filled in as if written, so the engine always finds them.
    func testDefaultsAreMaterialised() throws {
        let text = SpecFixtures.pipeline(steps: """
              - aggregate: {key: category, aggregates: {n: count()}}
              - window: {type: tumbling, size: 1m, aggregates: {n: count()}}
            """)
        let (loaded, diagnostics) = SpecFixtures.load(text)
        let spec = try XCTUnwrap(loaded, rendered(diagnostics))
        let window = spec.steps[1].config
        XCTAssertEqual(window.duration("size"), 60_000)
        XCTAssertEqual(window.duration("grace"), 0)
        XCTAssertEqual(window.string("emit"), "final")
        XCTAssertEqual(window.expression("key")?.source, "key()")
        XCTAssertNil(window.string("late_topic"))
        XCTAssertEqual(spec.steps[0].config.integer("every"), 1)
    }

    func testStepListAndReferenceText() throws {
        let list = StepReference.list()
        for step in StepRegistry.all { XCTAssertTrue(list.contains(step.summary), step.name) }
        let window = StepReference.reference(for: WindowStep.self)
        XCTAssertTrue(window.hasPrefix("window: "))
        XCTAssertTrue(window.contains("tumbling | hopping | sliding | session"))
        XCTAssertTrue(window.contains("grace"))
        XCTAssertTrue(window.contains("Example:\n  - window:"))
        XCTAssertTrue(StepReference.reference(for: FilterStep.self).contains("Shorthand"))
    }

    func testSuggestions() {
        XCTAssertEqual(Suggestions.closest(to: "fliter", in: StepRegistry.names), "filter")
        XCTAssertEqual(Suggestions.closest(to: "tumbleing", in: WindowStep.types), "tumbling")
        XCTAssertEqual(Suggestions.closest(to: "sinkz", in: ["sinks", "source"]), "sinks")
        XCTAssertNil(Suggestions.closest(to: "xyz", in: StepRegistry.names))
    }
}
