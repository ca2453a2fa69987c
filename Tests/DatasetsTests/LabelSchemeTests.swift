import Audio
import Datasets
import XCTest

final class LabelSchemeTests: XCTestCase {
    /// One file per (actor 1...4, emotion, intensity) that RAVDESS allows.
    static let ravdessFiles: [DatasetFile] = {
        var files = [DatasetFile]()
        for actor in 1...4 {
            for emotion in Emotion.ravdess {
                for intensity in Intensity.allCases where !(emotion == .neutral && intensity == .strong) {
                    let name = RavdessName(
                        emotion: emotion, intensity: intensity, statement: 1, repetition: 1, actor: actor)
                    files.append(
                        DatasetFile(
                            path: "/r/\(name.stem).wav", relativePath: "\(name.stem).wav", speaker: name.speaker,
                            ravdess: name))
                }
            }
        }
        return files
    }()

    func testEmotionSchemeHasEightClassesInCodeOrder() throws {
        let (classes, items, excluded) = try LabelScheme.emotion.apply(to: Self.ravdessFiles, layout: .ravdess)
        XCTAssertEqual(classes, ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"])
        XCTAssertEqual(items.count, Self.ravdessFiles.count)
        XCTAssertTrue(excluded.isEmpty)
        for item in items {
            XCTAssertEqual(item.classIndex, item.ravdess!.emotion.rawValue - 1)
            XCTAssertEqual(item.label, classes[item.classIndex])
            XCTAssertEqual(item.speaker, item.ravdess!.speaker)
        }
    }

    func testGenderEmotionHasSixteenClassesFemaleFirst() throws {
        let (classes, items, _) = try LabelScheme.genderEmotion.apply(to: Self.ravdessFiles, layout: .ravdess)
        XCTAssertEqual(classes.count, 16)
        XCTAssertEqual(Array(classes.prefix(3)), ["female_neutral", "female_calm", "female_happy"])
        XCTAssertEqual(classes[8], "male_neutral")
        XCTAssertEqual(classes.last, "male_surprised")
        for item in items {
            let name = item.ravdess!
            XCTAssertEqual(item.label, "\(name.gender.name)_\(name.emotion.name)")
            XCTAssertEqual(item.classIndex, (name.gender == .female ? 0 : 8) + name.emotion.rawValue - 1)
        }
    }

    func testIntensityAndGenderSchemes() throws {
        let (intensities, byIntensity, _) = try LabelScheme.intensity.apply(to: Self.ravdessFiles, layout: .ravdess)
        XCTAssertEqual(intensities, ["normal", "strong"])
        XCTAssertEqual(byIntensity.filter { $0.classIndex == 1 }.count, 4 * 7)
        XCTAssertTrue(byIntensity.allSatisfy { $0.label == $0.ravdess!.intensity.name })
        let (genders, byGender, _) = try LabelScheme.gender.apply(to: Self.ravdessFiles, layout: .ravdess)
        XCTAssertEqual(genders, ["female", "male"])
        XCTAssertTrue(byGender.allSatisfy { $0.classIndex == ($0.ravdess!.actor % 2 == 0 ? 0 : 1) })
    }

    func testEmotionSubsetKeepsCodeOrderWhateverTheOrderGiven() throws {
        let scheme = LabelScheme.emotions([.angry, .sad, .neutral, .happy])
        let (classes, items, excluded) = try scheme.apply(to: Self.ravdessFiles, layout: .ravdess)
        XCTAssertEqual(classes, ["neutral", "happy", "sad", "angry"])
        XCTAssertEqual(items.count, 4 * (1 + 2 + 2 + 2))
        XCTAssertEqual(excluded.count, Self.ravdessFiles.count - items.count)
        XCTAssertTrue(excluded.allSatisfy { ![.neutral, .happy, .sad, .angry].contains($0.ravdess!.emotion) })
        XCTAssertTrue(items.allSatisfy { classes[$0.classIndex] == $0.ravdess!.emotion.name })
        XCTAssertEqual(scheme.description, "emotion[angry,sad,neutral,happy]")
    }

    func testBadSubsetsAreRejected() {
        XCTAssertThrowsError(
            try LabelScheme(.emotion, subset: ["happy", "joy"]).apply(to: Self.ravdessFiles, layout: .ravdess)
        ) {
            XCTAssertTrue("\($0)".contains("'joy'"), "\($0)")
            XCTAssertTrue("\($0)".contains("surprised"), "should list the valid classes: \($0)")
        }
        XCTAssertThrowsError(
            try LabelScheme(.emotion, subset: ["sad", "sad"]).apply(to: Self.ravdessFiles, layout: .ravdess)
        ) {
            XCTAssertTrue("\($0)".contains("twice"), "\($0)")
        }
        XCTAssertThrowsError(try LabelScheme(.emotion, subset: []).apply(to: Self.ravdessFiles, layout: .ravdess))
        let strongOnly = Self.ravdessFiles.filter { $0.ravdess!.intensity == .strong }
        XCTAssertThrowsError(try LabelScheme(.emotion, subset: ["neutral"]).apply(to: strongOnly, layout: .ravdess)) {
            XCTAssertEqual($0 as? DatasetError, .emptyAfterSubset(scheme: "emotion", subset: ["neutral"]))
        }
    }

    func testGivenLabelsAreSortedAndSubsettable() throws {
        let files = ["b/1.wav", "a/2.wav", "c/3.wav", "b/4.wav"].map {
            DatasetFile(path: "/x/" + $0, relativePath: $0, givenLabel: String($0.prefix(1)))
        }
        let (classes, items, _) = try LabelScheme.given.apply(to: files, layout: .folders)
        XCTAssertEqual(classes, ["a", "b", "c"])
        XCTAssertEqual(items.map(\.classIndex), [1, 0, 2, 1])
        let (subset, kept, excluded) = try LabelScheme(.given, subset: ["c", "b"]).apply(to: files, layout: .csv)
        XCTAssertEqual(subset, ["b", "c"])
        XCTAssertEqual(kept.map(\.classIndex), [0, 1, 0])
        XCTAssertEqual(excluded.map(\.relativePath), ["a/2.wav"])
    }

    func testSchemesMustFitTheLayout() {
        // Folder names that are not emotions: the emotion scheme names the file and the label.
        let files = [DatasetFile(path: "/x/a/1.wav", relativePath: "a/1.wav", givenLabel: "a")]
        XCTAssertThrowsError(try LabelScheme.emotion.apply(to: files, layout: .folders)) {
            XCTAssertEqual($0 as? DatasetError, .unknownEmotion(file: "a/1.wav", label: "a"))
            XCTAssertTrue("\($0)".contains("labels: given"), "\($0)")
        }
        XCTAssertThrowsError(try LabelScheme.intensity.apply(to: files, layout: .folders)) {
            XCTAssertTrue("\($0)".contains("RAVDESS names only"), "\($0)")
        }
        XCTAssertThrowsError(try LabelScheme.given.apply(to: Self.ravdessFiles, layout: .ravdess)) {
            XCTAssertTrue("\($0)".contains("gender_emotion"), "\($0)")
        }
    }

    func testParsingNames() throws {
        XCTAssertEqual(try LabelKind(parsing: "gender_emotion"), .genderEmotion)
        XCTAssertEqual(try LabelKind(parsing: "Gender-Emotion"), .genderEmotion)
        XCTAssertEqual(try LabelKind(parsing: "EMOTION"), .emotion)
        XCTAssertThrowsError(try LabelKind(parsing: "mood")) {
            XCTAssertEqual($0 as? DatasetError, .unknownLabels("mood"))
        }
        XCTAssertEqual(try DatasetLayout(parsing: "CSV"), .csv)
        XCTAssertEqual(try DatasetLayout(parsing: "CREMA-D"), .cremad)
        XCTAssertEqual(try DatasetLayout(parsing: "emo_db"), .emodb)
        XCTAssertThrowsError(try DatasetLayout(parsing: "tree")) {
            XCTAssertEqual(
                "\($0)", "unknown layout 'tree'; expected one of: ravdess, cremad, tess, savee, emodb, folders, csv")
        }
    }
}
