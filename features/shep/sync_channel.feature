@sync @A1-P4 @R-2.23
Feature: The synchronous channel (Appendix 1, section 2.1)
  An initiator calls an owner's service through the gateway's synchronous channel, SendMessage.
  The gateway checks the envelope against the tables A1-T19 to A1-T21, authenticates the sender,
  finds the service in the registry, routes the request to the owner, holds the owner to the
  processing time of Appendix 2 table 1 and records every event in its journal.

  Background:
    Given the gateway runs with the timing limits of the Rules
    And the system "INITIATOR_SYS" is registered with the password "init-secret"
    And the owner system "OWNER_SYS" serves "TEST_SERVICE_ID" on the synchronous channel
    And "INITIATOR_SYS" is granted access to "TEST_SERVICE_ID"

  @A1-T19 @A1-T20 @R-22 @R-40 @R-47 @R-2.5 @R-61
  Scenario: A valid request is answered by the owner through the gateway
    When "INITIATOR_SYS" sends a request to "TEST_SERVICE_ID" with the data "<request><uin>990101300123</uin></request>"
    Then the initiator receives the owner's answer
    And the answer is valid against the synchronous channel schema
    And the answer carries the gateway's sessionId
    And the owner received the business data unaltered
    And the owner received the gateway's sessionId in the request
    And the journal records the exchange as "ANSWERED"
    And the journal shows the four timestamps of the exchange in order
    And the gateway accepted the request within one minute

  @R-6 @R-53
  Scenario: A request for a service that is not in the registry is refused
    When "INITIATOR_SYS" sends a request to "NO_SUCH_SERVICE"
    Then the initiator receives a fault with code "SCE004"
    And the fault cites "R-6" and names the field "request/requestInfo/serviceId"
    And the fault carries the gateway's sessionId
    And the owner received no request
    And the journal records the exchange as "REJECTED" with code "SCE004" and rule "R-6"

  @R-53 @R-61 @A6-S1
  Scenario: A request with a wrong password is refused
    When "INITIATOR_SYS" sends a request to "TEST_SERVICE_ID" with the password "guessed"
    Then the initiator receives a fault with code "SCE002"
    And the fault cites "R-53" and names the field "request/requestInfo/sender"
    And the owner received no request
    And the journal records the exchange as "REJECTED" with code "SCE002" and rule "R-53"

  @R-53 @R-61
  Scenario: A request from a system unknown to the gateway is refused
    When "STRANGER_SYS" sends a request to "TEST_SERVICE_ID" with the password "whatever"
    Then the initiator receives a fault with code "SCE002"
    And the fault cites "R-53" and names the field "request/requestInfo/sender"
    And the owner received no request
    And the journal records the exchange as "REJECTED" with code "SCE002" and rule "R-53"

  @R-61 @R-37
  Scenario: A registered system without access to the service is refused
    Given the system "OTHER_SYS" is registered with the password "other-secret"
    When "OTHER_SYS" sends a request to "TEST_SERVICE_ID"
    Then the initiator receives a fault with code "SCE003"
    And the fault cites "R-61" and names the field "request/requestInfo/serviceId"
    And the owner received no request
    And the journal records the exchange as "REJECTED" with code "SCE003" and rule "R-61"

  @A1-T19 @R-5 @A6-S1
  Scenario Outline: A request missing a required field is refused before routing
    When "INITIATOR_SYS" sends a request to "TEST_SERVICE_ID" without "<field>"
    Then the initiator receives a fault with code "SCE001"
    And the fault cites "<rule>" and names the field "<field>"
    And the owner received no request
    And the journal records the exchange as "REJECTED" with code "SCE001" and rule "<rule>"

    Examples:
      | field                              | rule          |
      | request/requestInfo/messageId      | A1-T19 row 3  |
      | request/requestInfo/serviceId      | A1-T19 row 5  |
      | request/requestInfo/messageDate    | A1-T19 row 6  |
      | request/requestInfo/sender         | A1-T19 row 9  |
      | request/requestInfo/sender/senderId | A1-T19 row 10 |
      | request/requestData                | A1-T19 row 15 |

  @A1-T19 @R-53
  Scenario: A request without a password is refused at authentication
    When "INITIATOR_SYS" sends a request to "TEST_SERVICE_ID" without "request/requestInfo/sender/password"
    Then the initiator receives a fault with code "SCE002"
    And the fault cites "A1-T19 row 11" and names the field "request/requestInfo/sender/password"
    And the owner received no request

  @A1-T19 @R-5
  Scenario Outline: A request with a value of the wrong type is refused before routing
    When "INITIATOR_SYS" sends a request to "TEST_SERVICE_ID" with "<field>" set to "<value>"
    Then the initiator receives a fault with code "SCE001"
    And the fault cites "<rule>" and names the field "<field>"
    And the owner received no request
    And the journal records the exchange as "REJECTED" with code "SCE001" and rule "<rule>"

    Examples:
      | field                           | value                                  | rule         |
      | request/requestInfo/messageDate | 24.09.2019 12:20                       | A1-T19 row 6 |
      | request/requestInfo/messageDate | yesterday                              | A1-T19 row 6 |
      | request/requestInfo/sessionId   | 9cccd1d1-1a58-4304-a029-d168188f76bb   | A1-T19 row 8 |

  @A1-T19 @R-5
  Scenario: The Rules' spelling "messegeDate" is explained, not just refused
    When "INITIATOR_SYS" sends a request to "TEST_SERVICE_ID" with "request/requestInfo/messageDate" renamed to "messegeDate"
    Then the initiator receives a fault with code "SCE001"
    And the fault cites "A1-T19 row 6" and names the field "request/requestInfo/messageDate"
    And the fault explains that the Rules print "messegeDate" and the wire uses "messageDate"
    And the owner received no request

  @A1-T19 @R-5
  Scenario: A request in the wrong namespace is refused before routing
    When "INITIATOR_SYS" sends a request to "TEST_SERVICE_ID" with SendMessage in the namespace "http://bip.bee.kz/SyncChannel/v11/Types"
    Then the initiator receives a fault with code "SCE001"
    And the fault cites "A1-T19 row 1" and names the field "SendMessage"
    And the owner received no request
    And the journal records the exchange as "REJECTED" with code "SCE001" and rule "A1-T19 row 1"

  @A1-T21
  Scenario: The owner's fault reaches the initiator unchanged
    Given the owner answers "TEST_SERVICE_ID" with the fault "OWN-042" "Заявитель не найден"
    When "INITIATOR_SYS" sends a request to "TEST_SERVICE_ID"
    Then the initiator receives a fault with code "OWN-042"
    And the fault message is "Заявитель не найден"
    And the fault carries the gateway's sessionId
    And the journal records the exchange as "FAULT" with code "OWN-042" and rule "A1-T21"

  @A1-T20
  Scenario: An owner's answer that breaks the schema is not passed on
    Given the owner answers "TEST_SERVICE_ID" without "response/responseInfo/responseDate"
    When "INITIATOR_SYS" sends a request to "TEST_SERVICE_ID"
    Then the initiator receives a fault with code "SCE010"
    And the fault cites "A1-T20 row 5" and names the field "response/responseInfo/responseDate"
    And the journal records the exchange as "FAULT" with code "SCE010" and rule "A1-T20 row 5"

  @A1-P4
  Scenario Outline: An owner that does not answer SOAP gets a gateway fault, not a crash
    Given the owner answers "TEST_SERVICE_ID" with <behaviour>
    When "INITIATOR_SYS" sends a request to "TEST_SERVICE_ID"
    Then the initiator receives a fault with code "<code>"
    And the journal records the exchange as "FAULT" with code "<code>" and rule "<rule>"

    Examples:
      | behaviour                | code   | rule         |
      | HTTP 503                 | SCE009 | A1-P4        |
      | a body that is not XML   | SCE010 | A1-T20 row 1 |

  @A2-T1
  Scenario: An owner answering within 30 seconds is within the limit
    Given the owner answers "TEST_SERVICE_ID" after 2 seconds
    When "INITIATOR_SYS" sends a request to "TEST_SERVICE_ID"
    Then the initiator receives the owner's answer
    And the journal shows the owner's processing time of at least 2 seconds
    And the journal shows the owner's processing time within 30 seconds

  @A2-T1 @slow
  Scenario: An owner slower than 30 seconds breaks the limit of Appendix 2 table 1
    Given the owner answers "TEST_SERVICE_ID" after 31 seconds
    When "INITIATOR_SYS" sends a request to "TEST_SERVICE_ID"
    Then the initiator receives a fault with code "SCE008"
    And the fault cites "A2-T1 row 1"
    And the journal records the exchange as "FAULT" with code "SCE008" and rule "A2-T1 row 1"
    And the journal shows the owner's processing time of at least 30 seconds
