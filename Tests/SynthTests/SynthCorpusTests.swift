import Datasets
import Foundation
import SndFile
import Synchronization
import TestSupport
import XCTest

@testable import Synth

/// Layout, naming, determinism and caching of the synthetic corpus.
final class SynthCorpusTests: XCTestCase {
    func testSameSeedGivesByteIdenticalFilesAndAnotherSeedDifferentOnes() throws {
        let a = TemporaryDirectory("synth-a"), b = TemporaryDirectory("synth-b"), c = TemporaryDirectory("synth-c")
        let pathsA = try SyntheticCorpus(actors: 1, seed: 7).write(to: a.url.path)
        let pathsB = try SyntheticCorpus(actors: 1, seed: 7).write(to: b.url.path)
        let pathsC = try SyntheticCorpus(actors: 1, seed: 8).write(to: c.url.path)
        XCTAssertEqual(pathsA.count, 60)
        var different = 0
        for i in pathsA.indices {
            let bytesA = try Data(contentsOf: URL(fileURLWithPath: pathsA[i]))
            XCTAssertEqual(bytesA, try Data(contentsOf: URL(fileURLWithPath: pathsB[i])), pathsA[i])
            if bytesA != (try Data(contentsOf: URL(fileURLWithPath: pathsC[i]))) { different += 1 }
        }
        XCTAssertEqual(different, 60, "every file should change with the seed")
        XCTAssertEqual(
            try Data(contentsOf: a.url.appendingPathComponent(SyntheticCorpus.parametersName)),
            try Data(contentsOf: b.url.appendingPathComponent(SyntheticCorpus.parametersName)))
    }

    func testAnActorsFilesDoNotDependOnTheNumberOfActorsOrOnScheduling() {
        let id = SynthUtteranceID(actor: 2, emotion: .fearful, intensity: 2, statement: 1, repetition: 2)
        let alone = SyntheticCorpus.utterance(id, seed: 3)
        let inBatch = SyntheticCorpus(actors: 3, seed: 3).render(SynthUtteranceID.ravdessSpeech(actor: 2))
        XCTAssertEqual(inBatch.first { $0.id == id }?.samples, alone.samples)
        XCTAssertEqual(SyntheticCorpus(actors: 24, seed: 3).utterance(id).samples, alone.samples)
    }

    func testLayoutMatchesRavdessSpeech() throws {
        let dir = TemporaryDirectory("synth-layout")
        let paths = try SyntheticCorpus(actors: 2, seed: 1).write(to: dir.url.path)
        XCTAssertEqual(paths.count, 120)
        let fm = FileManager.default
        XCTAssertEqual(
            try fm.contentsOfDirectory(atPath: dir.url.path).filter { !$0.hasPrefix(".") }.sorted(),
            ["Actor_01", "Actor_02"])
        for actor in 1...2 {
            let folder = dir.url.appendingPathComponent(String(format: "Actor_%02d", actor))
            let names = try fm.contentsOfDirectory(atPath: folder.path).sorted()
            XCTAssertEqual(names.count, 60)
            var perEmotion: [Int: Int] = [:]
            var combinations = Set<[Int]>()
            for name in names {
                XCTAssertTrue(name.hasSuffix(".wav"), name)
                let fields = name.dropLast(4).split(separator: "-").map { Int($0) ?? -1 }
                XCTAssertEqual(fields.count, 7, name)
                XCTAssertEqual(Array(fields[0...1]), [3, 1], name)
                XCTAssertTrue((1...8).contains(fields[2]), name)
                XCTAssertTrue([1, 2].contains(fields[3]) && !(fields[2] == 1 && fields[3] == 2), name)
                XCTAssertTrue([1, 2].contains(fields[4]) && [1, 2].contains(fields[5]), name)
                XCTAssertEqual(fields[6], actor, name)
                perEmotion[fields[2], default: 0] += 1
                combinations.insert(fields)
            }
            XCTAssertEqual(combinations.count, 60)
            XCTAssertEqual(perEmotion, [1: 4, 2: 8, 3: 8, 4: 8, 5: 8, 6: 8, 7: 8, 8: 8])
        }
        let header = try SoundFile.info(paths[0])
        XCTAssertEqual(header.sampleRate, 16000)
        XCTAssertEqual(header.channels, 1)
        XCTAssertEqual(header.container, "WAV")
        XCTAssertEqual(header.encoding, "PCM_16")
        let csv = try String(
            contentsOf: dir.url.appendingPathComponent(SyntheticCorpus.parametersName), encoding: .utf8)
        XCTAssertEqual(csv.split(separator: "\n").count, 121)
    }

    func testOddActorsAreMaleWithLowerVoices() {
        for actor in 1...24 {
            let voice = SynthVoice.actor(actor, seed: 1)
            XCTAssertEqual(voice.isMale, actor % 2 == 1)
            XCTAssertEqual(
                SynthUtteranceID(actor: actor, emotion: .calm, intensity: 1, statement: 1, repetition: 1).isMale,
                actor % 2 == 1)
            XCTAssertEqual(voice.formantScale > 1.08, !voice.isMale, "female vocal tracts are shorter")
        }
        let corpus = SyntheticCorpus(actors: 24, seed: 1)
        let neutral = (1...24).map { actor in
            corpus.utterance(
                SynthUtteranceID(actor: actor, emotion: .neutral, intensity: 1, statement: 1, repetition: 1)
            ).meanF0Hz
        }
        let male = stride(from: 0, to: 24, by: 2).map { neutral[$0] }
        let female = stride(from: 1, to: 24, by: 2).map { neutral[$0] }
        XCTAssertLessThan(male.max()!, female.min()!, "neutral male voices should all be lower than female ones")
    }

    func testEnsureWritesOnceReusesThenReplacesAnOutdatedCorpus() throws {
        let parent = TemporaryDirectory("synth-ensure")
        let dir = parent.path("cache/synth")
        XCTAssertEqual(try SyntheticCorpus.ensureReporting(at: dir, actors: 1, seed: 2).outcome, .created)
        let marker = try String(contentsOfFile: dir + "/" + SyntheticCorpus.markerName, encoding: .utf8)
        XCTAssertTrue(marker.contains("\"seed\" : 2"), marker)
        let probe = dir + "/Actor_01/03-01-01-01-01-01-01.wav"
        let written = try FileManager.default.attributesOfItem(atPath: probe)[.modificationDate] as! Date
        XCTAssertEqual(try SyntheticCorpus.ensureReporting(at: dir, actors: 1, seed: 2).outcome, .reused)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: probe)[.modificationDate] as! Date, written)
        XCTAssertEqual(try SyntheticCorpus.ensure(at: dir, actors: 1, seed: 2), dir)

        // Other parameters, or a missing file, make it regenerate.
        XCTAssertEqual(try SyntheticCorpus.ensureReporting(at: dir, actors: 2, seed: 2).outcome, .replaced)
        XCTAssertTrue(SyntheticCorpus(actors: 2, seed: 2).isComplete(at: dir))
        try FileManager.default.removeItem(atPath: probe)
        XCTAssertFalse(SyntheticCorpus(actors: 2, seed: 2).isComplete(at: dir))
        XCTAssertEqual(try SyntheticCorpus.ensureReporting(at: dir, actors: 2, seed: 2).outcome, .replaced)
        XCTAssertTrue(FileManager.default.fileExists(atPath: probe))
        // No staging directories are left behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: parent.path("cache")), ["synth"])
    }

    /// Writers racing on one outdated directory: exactly one replaces it, the others wait and reuse it.
    func testConcurrentWritersGenerateOnceAndTheOthersReuse() throws {
        let parent = TemporaryDirectory("synth-race")
        let dir = parent.path("synth")
        try SyntheticCorpus.ensure(at: dir, actors: 1, seed: 1)
        let results = Mutex([String]())
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            let result: String
            do {
                result = "\(try SyntheticCorpus.ensureReporting(at: dir, actors: 1, seed: 2).outcome)"
            } catch {
                result = "\(error)"
            }
            results.withLock { $0.append(result) }
        }
        let outcomes = results.withLock { $0 }.sorted()
        XCTAssertEqual(outcomes, ["replaced", "reused", "reused", "reused"])
        XCTAssertTrue(SyntheticCorpus(actors: 1, seed: 2).isComplete(at: dir))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: parent.url.path), ["synth"])
    }

    func testAFailedWriteLeavesNoMarkerBehind() throws {
        let dir = TemporaryDirectory("synth-failed")
        try SyntheticCorpus(actors: 1, seed: 1).write(to: dir.url.path)
        XCTAssertTrue(SyntheticCorpus(actors: 1, seed: 1).isComplete(at: dir.url.path))
        // A directory where a WAV file should go makes the next write fail.
        let blocked = dir.path("Actor_01/03-01-03-02-01-01-01.wav")
        try FileManager.default.removeItem(atPath: blocked)
        try FileManager.default.createDirectory(atPath: blocked, withIntermediateDirectories: false)
        XCTAssertThrowsError(try SyntheticCorpus(actors: 1, seed: 2).write(to: dir.url.path)) { error in
            XCTAssertTrue("\(error)".contains(blocked), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.path(SyntheticCorpus.markerName)))
        XCTAssertFalse(SyntheticCorpus(actors: 1, seed: 1).isComplete(at: dir.url.path))
    }

    func testEnsureRefusesToOverwriteAFolderThatIsNotACorpus() throws {
        let dir = TemporaryDirectory("synth-foreign")
        try "precious".write(toFile: dir.path("notes.txt"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SyntheticCorpus.ensure(at: dir.url.path, actors: 1, seed: 1)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains(dir.url.path) && message.contains("not a synthetic corpus"), message)
        }
        XCTAssertEqual(try String(contentsOfFile: dir.path("notes.txt"), encoding: .utf8), "precious")
        XCTAssertThrowsError(try SyntheticCorpus.ensure(at: dir.path("notes.txt"), actors: 1, seed: 1))
        XCTAssertEqual(try String(contentsOfFile: dir.path("notes.txt"), encoding: .utf8), "precious")
    }

    func testEnsureRejectsImpossibleParametersWithAnError() {
        XCTAssertThrowsError(try SyntheticCorpus.ensure(at: "/tmp/never", actors: 25)) { error in
            XCTAssertTrue("\(error)".contains("actors must be 1…24"), "\(error)")
        }
        XCTAssertThrowsError(try SyntheticCorpus.ensure(at: "/tmp/never", actors: 2, sampleRate: 100))
    }
}
