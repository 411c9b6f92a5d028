import SluiceKafka
import XCTest

final class KafkaConfigTests: XCTestCase {
    private let secrets: KafkaConfig = [
        "bootstrap.servers": "localhost:9092",
        "sasl.username": "api-key",
        "sasl.password": "hunter2-s3cret",
        "ssl.key.password": "keypass-123",
        "sasl.oauthbearer.config": "principal=me extension_token=oauth-xyz",
    ]

    func testUnknownPropertyNamesThePropertyAndNoSecret() {
        var config = secrets
        config["no.such.property"] = "1"
        XCTAssertThrowsError(try KafkaProducer(config: config)) { error in
            let error = error as? KafkaError
            XCTAssertEqual(error?.property, "no.such.property")
            XCTAssertEqual(error?.code, KafkaError.Code.invalidArgument)
            let text = "\(String(describing: error)) \(error?.message ?? "")"
            XCTAssertTrue(text.contains("\"no.such.property\""), text)
            XCTAssertFalse(text.contains("hunter2"), text)
            XCTAssertFalse(text.contains("keypass"), text)
        }
    }

    func testInvalidValueNamesThePropertyAndLibrdkafkaReason() {
        var config = secrets
        config["session.timeout.ms"] = "soon"
        XCTAssertThrowsError(try KafkaConsumer(config: config.merging(["group.id": "g"]))) { error in
            let error = error as? KafkaError
            XCTAssertEqual(error?.property, "session.timeout.ms")
            XCTAssertTrue(error?.message.contains("\"session.timeout.ms\"") == true, error?.message ?? "")
            XCTAssertFalse(error?.message.contains("hunter2") == true)
        }
    }

    func testRejectedSecretValueIsNeverQuoted() {
        // librdkafka 2.0.2 rejects this secret property (no OIDC in Debian's build): the reason
        // is kept, the value is not.
        var config = secrets
        config["sasl.oauthbearer.client.secret"] = "client-secret-value"
        XCTAssertThrowsError(try KafkaProducer(config: config)) { error in
            let text = String(describing: error)
            XCTAssertFalse(text.contains("client-secret-value"), text)
            XCTAssertTrue(text.contains("\"sasl.oauthbearer.client.secret\""), text)
        }
        // A quoted rejected value of a non-secret property is shown: it helps fix the typo.
        XCTAssertThrowsError(try KafkaProducer(config: secrets.merging(["security.protocol": "bogus"]))) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.contains("bogus") && text.contains("security.protocol"), text)
            XCTAssertFalse(text.contains("hunter2"), text)
        }
    }

    func testClientCreationErrorsAreScrubbed() {
        // rd_kafka_new itself rejects this combination; its message must not carry secrets.
        let config = secrets.merging(["enable.idempotence": "true", "acks": "1"])
        XCTAssertThrowsError(try KafkaProducer(config: config)) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.contains("acks"), text)
            XCTAssertFalse(text.contains("hunter2"), text)
        }
    }

    func testDescriptionsRedactSecrets() {
        let shown = [String(describing: secrets), String(reflecting: secrets), "\(secrets)", dumped(secrets)]
        for text in shown {
            XCTAssertFalse(text.contains("hunter2"), text)
            XCTAssertFalse(text.contains("keypass"), text)
            XCTAssertFalse(text.contains("oauth-xyz"), text)
            XCTAssertTrue(text.contains("api-key"), text)
            XCTAssertTrue(text.contains("[redacted]"), text)
        }
        XCTAssertEqual(secrets.scrubbed("login with hunter2-s3cret failed"), "login with [redacted] failed")
        XCTAssertTrue(KafkaConfig.isSecret("CONFLUENT_API_SECRET"))
        XCTAssertTrue(KafkaConfig.isSecret("ssl.keystore.password"))
        XCTAssertFalse(KafkaConfig.isSecret("sasl.username"))
    }

    func testConsumerWithoutGroupIDIsRejectedClearly() {
        XCTAssertThrowsError(try KafkaConsumer(config: ["bootstrap.servers": "localhost:9092"])) { error in
            XCTAssertEqual((error as? KafkaError)?.property, "group.id")
        }
    }

    private func dumped(_ value: some Any) -> String {
        var text = ""
        dump(value, to: &text)
        return text
    }
}
