import Datasets
import TestSupport
import XCTest

/// The built-in corpus layouts (CREMA-D, TESS, SAVEE, EMO-DB) with the oddities of real downloads, the
/// canonical vocabulary, label maps, and the CSV manifest's gender and metadata columns.
final class CorpusLayoutTests: XCTestCase {
    func parsed(_ layout: DatasetLayout, _ path: String) -> CorpusName? { try? layout.parseName(path).get() }

    func reason(_ layout: DatasetLayout, _ path: String) -> String {
        if case .failure(let error) = layout.parseName(path) { return error.description }
        return "parsed"
    }

    func testCremaDNames() {
        let name = parsed(.cremad, "AudioWAV/1001_DFA_ANG_XX.wav")
        XCTAssertEqual(name, CorpusName(speaker: "1001", gender: .male, nativeLabel: "ANG", emotion: .angry))
        XCTAssertEqual(parsed(.cremad, "1002_ieo_hap_hi.WAV")?.emotion, .happy, "letter case is ignored")
        XCTAssertEqual(parsed(.cremad, "1002_IEO_HAP_HI.wav")?.gender, .female)
        XCTAssertEqual(parsed(.cremad, "1091_TSI_SAD_LO_1.wav")?.speaker, "1091", "a copy suffix is ignored")
        XCTAssertTrue(reason(.cremad, "1092_DFA_ANG_XX.wav").contains("actor '1092' is not 1001-1091"))
        XCTAssertTrue(reason(.cremad, "1001_DFA_CAL_XX.wav").contains("emotion 'CAL' is not one of ANG, DIS"))
        XCTAssertTrue(reason(.cremad, "1001_DFA_ANG_XY.wav").contains("level 'XY'"))
        XCTAssertTrue(reason(.cremad, "1001_DFA_ANG.wav").contains("expected 4 fields"))
    }

    func testTessNames() {
        XCTAssertEqual(
            parsed(.tess, "OAF_angry/OAF_back_angry.wav"),
            CorpusName(speaker: "OAF", gender: .female, nativeLabel: "angry", emotion: .angry))
        // Real folder names vary (OAF_Pleasant_surprise, YAF_pleasant_surprised); file names say ps.
        XCTAssertEqual(parsed(.tess, "TESS/OAF_Pleasant_surprise/OAF_bath_ps.wav")?.emotion, .surprised)
        XCTAssertEqual(parsed(.tess, "yaf_neutral/YAF_germ_Neutral.wav")?.speaker, "YAF")
        XCTAssertEqual(parsed(.tess, "YAF_date_pleasant_surprised.wav")?.nativeLabel, "ps")
        XCTAssertEqual(parsed(.tess, "YAF_fear/YAF_bite_fear_1.wav")?.emotion, .fearful)
        XCTAssertTrue(reason(.tess, "MAF_back_angry.wav").contains("speaker 'MAF' is not OAF or YAF"))
        XCTAssertTrue(reason(.tess, "OAF_back_calm.wav").contains("emotion 'calm'"))
    }

    func testSaveeNames() {
        XCTAssertEqual(
            parsed(.savee, "ALL/DC_a01.wav"),
            CorpusName(speaker: "DC", gender: .male, nativeLabel: "a", emotion: .angry))
        XCTAssertEqual(parsed(.savee, "JK_sa15.wav")?.emotion, .sad)
        XCTAssertEqual(parsed(.savee, "KL_su03.wav")?.emotion, .surprised)
        XCTAssertEqual(parsed(.savee, "je_N30.WAV")?.speaker, "JE")
        // The original release keeps each speaker in a folder.
        XCTAssertEqual(parsed(.savee, "AudioData/JE/h07.wav")?.speaker, "JE")
        XCTAssertTrue(reason(.savee, "XX_a01.wav").contains("speaker 'XX'"))
        XCTAssertTrue(reason(.savee, "DC_x01.wav").contains("emotion 'x'"))
        XCTAssertTrue(reason(.savee, "DC_a1.wav").contains("not two digits"))
    }

    func testEmoDBNames() {
        XCTAssertEqual(
            parsed(.emodb, "wav/03a01Fa.wav"),
            CorpusName(speaker: "03", gender: .male, nativeLabel: "F", emotion: .happy))
        XCTAssertEqual(parsed(.emodb, "08b10Lc.wav")?.emotion, .boredom)
        XCTAssertEqual(parsed(.emodb, "08b10Lc.wav")?.gender, .female)
        XCTAssertEqual(parsed(.emodb, "16A05wA.WAV")?.emotion, .angry, "letter case is ignored")
        XCTAssertEqual(parsed(.emodb, "13a02Tb_1.wav")?.emotion, .sad)
        XCTAssertTrue(reason(.emodb, "04a01Fa.wav").contains("speaker '04'"))
        XCTAssertTrue(reason(.emodb, "03a01Xa.wav").contains("emotion 'X'"))
        XCTAssertTrue(reason(.emodb, "03a01Fa2.wav").contains("expected 7 characters"))
    }

    func testEachLayoutIsDetectedFromItsNamesAndListsSpeakersGendersAndEmotions() throws {
        let corpora: [(DatasetLayout, [String], [String], [Emotion])] = [
            (
                .cremad, ["1001_DFA_ANG_XX.wav", "1002_IEO_NEU_XX.wav", "1002_IEO_HAP_LO.wav"],
                ["1001", "1002", "1002"],
                [.neutral, .happy, .sad, .angry, .fearful, .disgust]
            ),
            (
                .tess,
                ["OAF_angry/OAF_back_angry.wav", "YAF_Pleasant_surprise/YAF_back_ps.wav", "YAF_sad/YAF_x_sad.wav"],
                ["OAF", "YAF", "YAF"], [.neutral, .happy, .sad, .angry, .fearful, .disgust, .surprised]
            ),
            (
                .savee, ["DC_a01.wav", "JE_n01.wav", "KL_sa02.wav"], ["DC", "JE", "KL"],
                [.neutral, .happy, .sad, .angry, .fearful, .disgust, .surprised]
            ),
            (
                .emodb, ["wav/03a01Fa.wav", "wav/08a01Lb.wav", "wav/16b10Nc.wav"], ["03", "08", "16"],
                [.neutral, .happy, .sad, .angry, .fearful, .disgust, .boredom]
            ),
        ]
        for (layout, files, speakers, emotions) in corpora {
            let dir = TemporaryDirectory()
            for file in files { try Fixtures.wav(dir, file) }
            try Fixtures.wav(dir, "notes/other.wav")
            let listing = try DatasetListing.make(dir.url.path)
            XCTAssertEqual(listing.layout, layout)
            XCTAssertEqual(listing.detection, "3 of 4 audio file names are \(layout.displayName) names")
            XCTAssertEqual(listing.files.map(\.speaker), speakers, "\(layout)")
            XCTAssertEqual(listing.problems.map(\.path), ["notes/other.wav"])
            XCTAssertTrue(listing.problems[0].reason.contains("not a \(layout.displayName) name"))
            XCTAssertEqual(listing.emotions, emotions, "\(layout)")
            let dataset = try Dataset(listing: listing)
            XCTAssertEqual(dataset.scheme, .emotion)
            XCTAssertEqual(dataset.classNames, emotions.map(\.name), "the layout's emotions, in vocabulary order")
        }
    }

    func testANamedLayoutWithoutItsNamesSaysWhatItExpected() throws {
        let dir = TemporaryDirectory()
        try Fixtures.wav(dir, "a/x.wav")
        XCTAssertThrowsError(try DatasetListing.make(dir.url.path, layout: .emodb)) {
            XCTAssertTrue(
                "\($0)".contains("1 audio files is named like EMO-DB files (03a01Fa.wav); e.g. x.wav"), "\($0)")
        }
    }

    func testGenderSchemesUseEachCorpusSpeakerTable() throws {
        let dir = TemporaryDirectory()
        for file in ["03a01Fa.wav", "08a01Wa.wav"] { try Fixtures.wav(dir, file) }
        let dataset = try Dataset.load(dir.url.path, labels: .gender)
        XCTAssertEqual(dataset.items.map(\.label), ["male", "female"])
        let both = try Dataset.load(dir.url.path, labels: .genderEmotion)
        XCTAssertEqual(both.items.map(\.label), ["male_happy", "female_angry"])
        XCTAssertEqual(both.classNames.count, 14, "2 genders × EMO-DB's 7 emotions")
    }

    func testLabelMapsRenameEachLayoutsLabelsAndNameWhatDoesNotFit() throws {
        let dir = TemporaryDirectory()
        for file in ["OAF_back_ps.wav", "OAF_back_angry.wav", "YAF_back_neutral.wav"] { try Fixtures.wav(dir, file) }
        let listing = try DatasetListing.make(dir.url.path)
        // A code (ps) or a canonical name (angry) may be mapped; targets are vocabulary words or synonyms.
        let map = try LabelMap(["PS": "surprised", "angry": "Anger"])
        let dataset = try Dataset(listing: listing, labelMap: map)
        XCTAssertEqual(dataset.items.map(\.label), ["angry", "surprised", "neutral"])
        let merged = try Dataset(listing: listing, labelMap: try LabelMap(parsing: "ps=neutral"))
        XCTAssertFalse(merged.classNames.contains("surprised"), "a class mapped away is no class")
        XCTAssertEqual(merged.items.map(\.label), ["angry", "neutral", "neutral"])
        XCTAssertThrowsError(try Dataset(listing: listing, labelMap: try LabelMap(["calm": "neutral"]))) {
            XCTAssertTrue("\($0)".contains("'calm' is not a label of the TESS layout"), "\($0)")
        }
        XCTAssertThrowsError(try Dataset(listing: listing, labelMap: try LabelMap(["ps": "elated"]))) {
            XCTAssertTrue("\($0)".contains("'elated' is not an emotion"), "\($0)")
        }
        XCTAssertThrowsError(try LabelMap(parsing: "ps:surprised")) {
            XCTAssertTrue("\($0)".contains("expected label=target"), "\($0)")
        }
        XCTAssertThrowsError(try LabelMap(["ps": "surprised", "PS": "neutral"])) {
            XCTAssertTrue("\($0)".contains("mapped twice"), "\($0)")
        }
    }

    func testFolderAndCSVLabelsAreReadAsEmotionsNamingTheFileOfAnUnknownOne() throws {
        let dir = TemporaryDirectory()
        for file in ["a.wav", "b.wav", "c.wav"] { try Fixtures.wav(dir, file) }
        try Fixtures.text(
            dir, "m.csv",
            "path,label,speaker,gender,split,session\na.wav,Happiness,s1,F,train,1\nb.wav,sad,s2,male,test,2\nc.wav,grumpy,s2,m,,3\n"
        )
        let listing = try DatasetListing.make(dir.path("m.csv"))
        XCTAssertEqual(listing.files.map(\.gender), [.female, .male, .male])
        XCTAssertEqual(listing.files[1].metadata, ["split": "test", "session": "2"])
        XCTAssertEqual(listing.files.map(\.line), [2, 3, 4])
        XCTAssertThrowsError(try Dataset(listing: listing, labels: .emotion)) {
            XCTAssertEqual($0 as? DatasetError, .unknownEmotion(file: "c.wav (manifest line 4)", label: "grumpy"))
        }
        let mapped = try Dataset(listing: listing, labels: .emotion, labelMap: try LabelMap(["grumpy": "angry"]))
        XCTAssertEqual(mapped.classNames, ["happy", "sad", "angry"])
        XCTAssertEqual(mapped.items.map(\.label), ["happy", "sad", "angry"])
        XCTAssertEqual(try Dataset(listing: listing, labels: .gender).items.map(\.label), ["female", "male", "male"])
        XCTAssertThrowsError(try Dataset(listing: listing, labelMap: try LabelMap(["angry": "x"]))) {
            XCTAssertTrue("\($0)".contains("has the label 'angry'"), "\($0)")
        }
        try Fixtures.text(dir, "bad.csv", "path,label,gender\na.wav,happy,x\n")
        XCTAssertThrowsError(try DatasetListing.make(dir.path("bad.csv"))) {
            XCTAssertTrue("\($0)".contains("bad.csv:2: gender 'x' for 'a.wav'"), "\($0)")
        }
        // Folders without genders cannot be labelled by gender; the error names the file.
        try Fixtures.wav(dir, "tree/happy/x.wav")
        XCTAssertThrowsError(try Dataset.load(dir.path("tree"), labels: .gender)) {
            XCTAssertEqual($0 as? DatasetError, .missingGender(file: "happy/x.wav", layout: .folders))
        }
    }

    func testTheVocabularyReadsSynonyms() {
        XCTAssertEqual(Emotion(label: "Pleasant-Surprise"), .surprised)
        XCTAssertEqual(Emotion(label: "BOREDOM"), .boredom)
        XCTAssertNil(Emotion(label: "elated"))
        XCTAssertEqual(Emotion.ravdess.count, 8)
        XCTAssertEqual(Emotion.allCases.last, .boredom)
    }
}
