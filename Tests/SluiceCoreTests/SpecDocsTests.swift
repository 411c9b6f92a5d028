import Foundation
import SluiceCore
import XCTest

/// docs/spec.md is written by hand; these checks keep it from falling behind the declarations.
final class SpecDocsTests: XCTestCase {
    private func docs() throws -> String {
        try String(contentsOf: SpecFixtures.root.appendingPathComponent("docs/spec.md"), encoding: .utf8)
    }

    func testEveryStepAndFieldIsDocumented() throws {
        let text = try docs()
        for step in StepRegistry.all {
            XCTAssertTrue(text.contains("`\(step.name)`"), step.name)
            for field in step.fields {
                XCTAssertTrue(text.contains("`\(field.name)`"), "\(step.name).\(field.name)")
            }
        }
    }

    func testEverySectionFieldIsDocumented() throws {
        let text = try docs()
        let sections = PipelineSpec.fields + SourceSpec.fields + EventTime.fields + SinkSpec.fields
            + TestCase.inputFields + TestCase.expectedFields
        for field in sections {
            XCTAssertTrue(text.contains("`\(field.name)`") || text.contains("\(field.name):"), field.name)
        }
    }
}
