import Foundation
import Testing
import RoostTwitter

/// X API v2 responses shaped as in X's API reference, one per JSONL line.
@Suite struct XPayloadTests {
    /// A mentions page (`GET /2/users/:id/mentions` with expansions=author_id), as X pretty-prints it;
    /// the tests put it on one line.
    static let mentionsPage = """
        {
          "data": [
            {
              "id": "1445880548472328192",
              "text": "@AcmeSupport my order never arrived &amp; nobody answers",
              "author_id": "2244994945",
              "conversation_id": "1445880548472328192",
              "created_at": "2021-10-06T22:10:47.000Z",
              "in_reply_to_user_id": "783214",
              "lang": "en",
              "edit_history_tweet_ids": ["1445880548472328192"]
            },
            {
              "id": "1445880548472328199",
              "text": "@AcmeSupport thanks, that worked",
              "author_id": "6253282",
              "conversation_id": "1445870000000000000",
              "created_at": "2021-10-06T22:11:00.123Z",
              "in_reply_to_user_id": "783214",
              "referenced_tweets": [
                {"type": "quoted", "id": "1445860000000000000"},
                {"type": "replied_to", "id": "1445870000000000001"}
              ]
            }
          ],
          "includes": {
            "users": [
              {"id": "2244994945", "username": "jane_doe", "name": "Jane Doe", "verified": false,
               "public_metrics": {"followers_count": 507, "following_count": 12, "tweet_count": 1300, "listed_count": 2}},
              {"id": "6253282", "username": "bob", "name": "Bob"}
            ]
          },
          "meta": {
            "result_count": 2,
            "newest_id": "1445880548472328199",
            "oldest_id": "1445880548472328192",
            "next_token": "7140dibdnow9c7btw3w29grvxfcgvpb9n9coehpk7xz5i"
          }
        }
        """

    static let dmEventsPage = """
        {
          "data": [
            {"id": "1582838223733948421", "event_type": "MessageCreate", "text": "Hi, my order #123 is late",
             "sender_id": "906948460078698496", "dm_conversation_id": "783214-906948460078698496",
             "created_at": "2022-10-19T20:58:00.000Z", "participant_ids": ["783214", "906948460078698496"]},
            {"id": "1582838223733948422", "event_type": "ParticipantsJoin", "dm_conversation_id": "1582838223733948000",
             "created_at": "2022-10-19T20:59:00.000Z", "participant_ids": ["783214"]},
            {"id": "1582838223733948423", "event_type": "MessageCreate", "text": "Thanks ^AL",
             "sender_id": "783214", "dm_conversation_id": "783214-906948460078698496",
             "created_at": "2022-10-19T21:00:30.000+02:00"}
          ],
          "meta": {"result_count": 3}
        }
        """

    static func oneLine(_ json: String) throws -> Data {
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8))
        return try JSONSerialization.data(withJSONObject: object)
    }

    static func tweets(_ items: [XItem]) -> [XTweet] {
        items.compactMap { if case let .tweet(tweet) = $0 { tweet } else { nil } }
    }

    @Test func mentionsPageWithUsersAndNextToken() throws {
        let page = try XPayload.parse(line: try Self.oneLine(Self.mentionsPage))
        #expect(page.nextToken == "7140dibdnow9c7btw3w29grvxfcgvpb9n9coehpk7xz5i")
        #expect(page.skippedEvents == 0)
        let tweets = Self.tweets(page.items)
        try #require(tweets.count == 2)
        #expect(tweets[0] == XTweet(
            id: "1445880548472328192", text: "@AcmeSupport my order never arrived & nobody answers",
            authorID: "2244994945", conversationID: "1445880548472328192", createdAtMillis: 1_633_558_247_000,
            inReplyToUserID: "783214", repliedToTweetID: nil, lang: "en",
            author: XUser(id: "2244994945", username: "jane_doe", name: "Jane Doe", verified: false, followers: 507)))
        #expect(tweets[1].repliedToTweetID == "1445870000000000001")
        #expect(tweets[1].createdAtMillis == 1_633_558_260_123)
        #expect(tweets[1].lang == nil)
        #expect(tweets[1].author == XUser(id: "6253282", username: "bob", name: "Bob"))
    }

    @Test func singleTweetLookup() throws {
        let line = #"{"data":{"id":"20","text":"just setting up my twttr","author_id":"12","conversation_id":"20","created_at":"2006-03-21T20:50:14.000Z"}}"#
        let page = try XPayload.parse(line: Data(line.utf8))
        #expect(page.items == [.tweet(XTweet(
            id: "20", text: "just setting up my twttr", authorID: "12", conversationID: "20",
            createdAtMillis: 1_142_974_214_000))])
    }

    @Test func dmEventsPageSkipsOtherEvents() throws {
        let page = try XPayload.parse(line: try Self.oneLine(Self.dmEventsPage))
        #expect(page.skippedEvents == 1)
        #expect(page.items == [
            .dm(XDirectMessage(
                id: "1582838223733948421", eventType: "MessageCreate", text: "Hi, my order #123 is late",
                senderID: "906948460078698496", conversationID: "783214-906948460078698496",
                createdAtMillis: 1_666_213_080_000)),
            .dm(XDirectMessage(
                id: "1582838223733948423", eventType: "MessageCreate", text: "Thanks ^AL", senderID: "783214",
                conversationID: "783214-906948460078698496", createdAtMillis: 1_666_206_030_000)),
        ])
    }

    @Test func jsonlFileCollectsItemsAndErrors() throws {
        var file = Data()
        file += try Self.oneLine(Self.mentionsPage) + Data("\r\n\n".utf8)
        file += Data(#"{"data":[{"id":1,"text":"x"}]}"#.utf8) + Data("\n".utf8)  // line 3
        file += try Self.oneLine(Self.dmEventsPage) + Data("\n".utf8)
        file += Data(#"{"meta":{"result_count":0}}"#.utf8)
        let result = XPayload.parse(jsonl: file)
        #expect(result.items.count == 4)
        #expect(result.skippedEvents == 1)
        #expect(result.errors == [.malformed(line: 3, reason: "data[0].id is a number; ids must be strings")])
        #expect(result.nextToken == "7140dibdnow9c7btw3w29grvxfcgvpb9n9coehpk7xz5i")
    }

    static let goodTweet = #""id":"1","text":"t","author_id":"2","conversation_id":"1","created_at":"2017-10-31T22:10:47.000Z""#

    @Test(arguments: [
        (#"{"data":[{"id":1445880548472328192,"text":"t","author_id":"2","conversation_id":"1","created_at":"2017-10-31T22:10:47.000Z"}]}"#,
         "data[0].id is a number; ids must be strings"),
        (#"{"data":[{\#(goodTweet)},{"id":"3","text":"t","author_id":2,"conversation_id":"1","created_at":"2017-10-31T22:10:47.000Z"}]}"#,
         "data[1].author_id is a number; ids must be strings"),
        (#"{"data":[{"id":"1","author_id":"2","conversation_id":"1","created_at":"2017-10-31T22:10:47.000Z"}]}"#,
         "data[0].text is missing"),
        (#"{"data":[{"id":"1","text":null,"author_id":"2","conversation_id":"1","created_at":"2017-10-31T22:10:47.000Z"}]}"#,
         "data[0].text is missing"),
        (#"{"data":[{"id":"1","text":"t","author_id":"2","created_at":"2017-10-31T22:10:47.000Z"}]}"#,
         "data[0].conversation_id is missing"),
        (#"{"data":[{\#(goodTweet)},{\#(goodTweet)},{"id":"1","text":"t","author_id":"2","conversation_id":"1","created_at":"Tue Oct 31 22:10:47 +0000 2017"}]}"#,
         "data[2].created_at is not ISO 8601"),
        (#"{"data":[{"id":"1","text":"t","author_id":"2","conversation_id":"1","created_at":"2017-02-30T22:10:47.000Z"}]}"#,
         "data[0].created_at is not ISO 8601"),
        (#"{"data":[{"id":"1","text":7,"author_id":"2","conversation_id":"1","created_at":"2017-10-31T22:10:47.000Z"}]}"#,
         "data[0].text is a number, expected a string"),
        (#"{"data":[{"id":"abc","text":"t","author_id":"2","conversation_id":"1","created_at":"2017-10-31T22:10:47.000Z"}]}"#,
         "data[0].id is not a decimal id"),
        (#"{"data":[{\#(goodTweet),"referenced_tweets":[{"type":"replied_to","id":5}]}]}"#,
         "data[0].referenced_tweets[0].id is a number; ids must be strings"),
        (#"{"data":[{\#(goodTweet),"in_reply_to_user_id":783214}]}"#,
         "data[0].in_reply_to_user_id is a number; ids must be strings"),
        (#"{"data":[{\#(goodTweet)}],"includes":{"users":[{"id":"2","username":"a","name":"A","verified":"yes"}]}}"#,
         "includes.users[0].verified is a string, expected a boolean"),
        (#"{"data":[{\#(goodTweet)}],"includes":{"users":[{"id":"2","username":"a","name":"A","public_metrics":{"followers_count":1.5}}]}}"#,
         "includes.users[0].public_metrics.followers_count is not an integer"),
        (#"{"data":[{\#(goodTweet)}],"includes":{"users":[{"id":2,"username":"a","name":"A"}]}}"#,
         "includes.users[0].id is a number; ids must be strings"),
        (#"{"data":[{"id":"9","event_type":"MessageCreate","sender_id":"2","dm_conversation_id":"1-2","created_at":"2017-10-31T22:10:47.000Z"}]}"#,
         "data[0].text is missing"),
        (#"{"data":[{"id":"9","event_type":"MessageCreate","text":"t","sender_id":"2","dm_conversation_id":12,"created_at":"2017-10-31T22:10:47.000Z"}]}"#,
         "data[0].dm_conversation_id is a number, expected a string"),
        (#"{"data":[17]}"#, "data[0] is a number, expected an object"),
        (#"{"data":"x"}"#, "data is a string, expected an object"),
        (#"{"includes":{}}"#, "data is missing"),
        (#"{"errors":[{"title":"Not Found Error"}]}"#, "no data; the response holds 1 X API error(s)"),
        (#"[1,2]"#, "the line is an array, expected an object"),
        (#"{"data":[{"id":"1""#, "not valid JSON"),
    ])
    func rejectsWithAPreciseReason(line: String, reason: String) {
        #expect(throws: XPayloadError.malformed(line: 7, reason: reason)) {
            _ = try XPayload.parse(line: Data(line.utf8), lineNumber: 7)
        }
    }

    @Test func emptyResultIsAnEmptyPage() throws {
        let page = try XPayload.parse(line: Data(#"{"meta":{"result_count":0}}"#.utf8))
        #expect(page == XPage(items: []))
    }

    @Test func errorMessagesHoldNoText() {
        let line = #"{"data":[{"id":"1","text":"card 4242 4242","author_id":"2","conversation_id":"1","created_at":"soon"}]}"#
        do {
            _ = try XPayload.parse(line: Data(line.utf8))
            Issue.record("expected an error")
        } catch {
            #expect(!error.description.contains("4242"))
            #expect(!error.description.contains("soon"))
        }
    }
}
