import Datasets
import Foundation
import TestSupport
import XCTest

@testable import Synth

/// `ser synth --layout`: the synthetic corpus under each layout's names is found by that layout's rules,
/// with unique names, the layout's emotions and speakers, and the same audio as the RAVDESS-named corpus.
final class SynthLayoutTests: XCTestCase {
    func testEveryLayoutsNamesAreUniqueAndParseBackToTheUtterancesEmotion() throws {
        let ids = SyntheticCorpus(actors: 24).utterances
        for layout in DatasetLayout.allCases {
            let named = ids.compactMap { id in id.relativePath(in: layout).map { (id, $0) } }
            XCTAssertEqual(Set(named.map(\.1)).count, named.count, "\(layout): names are unique")
            let emotions = Set(named.map(\.0.emotion))
            if let native = layout.nativeEmotions {
                XCTAssertEqual(emotions, Set(native.map(\.emotion)).subtracting([.boredom]), "\(layout)")
            } else {
                XCTAssertEqual(emotions, Set(Emotion.ravdess), "\(layout)")
            }
            guard layout.readsNames else { continue }
            for (id, path) in named {
                let name = try layout.parseName(path).get()
                XCTAssertEqual(name.emotion, id.emotion, path)
                XCTAssertEqual(name.speaker, id.speaker(in: layout), path)
            }
        }
    }

    func testEachLayoutIsWrittenDetectedAndReusedWithTheSameAudio() throws {
        let reference = TemporaryDirectory("synth-layout-ravdess")
        try SyntheticCorpus(actors: 2, seed: 1, sampleRate: 8000).write(to: reference.url.path)
        for layout in DatasetLayout.allCases where layout != .ravdess {
            let parent = TemporaryDirectory("synth-layout-\(layout.rawValue)")
            let dir = parent.path("corpus")
            let outcome = try SyntheticCorpus.ensureReporting(
                at: dir, actors: 2, seed: 1, sampleRate: 8000, layout: layout)
            XCTAssertEqual(outcome.outcome, .created)
            XCTAssertEqual(
                try SyntheticCorpus.ensureReporting(at: dir, actors: 2, seed: 1, sampleRate: 8000, layout: layout)
                    .outcome, .reused)
            let corpus = SyntheticCorpus(actors: 2, seed: 1, sampleRate: 8000, layout: layout)
            let source = layout == .csv ? dir + "/" + SyntheticCorpus.manifestName : dir
            let listing = try DatasetListing.make(source)
            XCTAssertEqual(listing.layout, layout, "detected")
            XCTAssertEqual(listing.files.count, corpus.utterances.count)
            XCTAssertTrue(listing.problems.isEmpty, "\(listing.problems)")
            // Same bytes as the RAVDESS-named file of the same utterance.
            let id = corpus.utterances[5]
            let here = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + id.relativePath(in: layout)!))
            let there = try Data(contentsOf: reference.url.appendingPathComponent(id.relativePath))
            XCTAssertEqual(here, there, "\(layout)")
            // Switching layout in one folder replaces the corpus (both are ser's).
            XCTAssertEqual(
                try SyntheticCorpus.ensureReporting(at: dir, actors: 2, seed: 1, sampleRate: 8000).outcome, .replaced)
        }
    }
}
