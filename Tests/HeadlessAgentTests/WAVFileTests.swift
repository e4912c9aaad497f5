import Testing

@testable import HeadlessAgent

@Suite struct WAVFileTests {
    @Test func roundTripsAndNeverTrapsOnBadInput() throws {
        let file = WAVFile(samples: [0, 1, -1, 32767, -32768, 1234], sampleRate: 16000, channels: 2)
        #expect(try WAVFile.parse(file.bytes) == file)
    }
}
