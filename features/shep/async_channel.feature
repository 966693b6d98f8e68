@async @A1-P1 @R-2.23
Feature: The asynchronous channel (Appendix 1, section 1)
  A system sends a message into the gateway's asynchronous channel and at once receives the gateway's
  messageId and correlationId. The gateway keeps the message durably and delivers it to the
  recipient, by calling the recipient's sendMessage (push) or when the recipient asks with
  GetMessages (pull). It tracks each message's state (ON_DELIVERY, DELIVERED, NOT_DELIVERED,
  DELIVERY_STOPPED), answers GetMessageStatus, takes delivery notifications and tells the sender of
  every change with changeMassageStatusNotification. Every step is in the gateway's journal.

  Background:
    Given the gateway runs its asynchronous channel
    And the owner system "OWNER_SYS" serves "ASYNC_SERVICE" on the asynchronous channel
    And the initiator system "INITIATOR_SYS" may send requests to "ASYNC_SERVICE"

  @R-22 @R-40 @R-47 @A1-T1 @A1-T2 @A1-T13 @A1-T14 @A1-T16 @A1-T17 @R-2.5 @A1-P3
  Scenario: A request and its response travel by push
    Given both systems take their messages by push
    And the owner answers every request with "<answer>42</answer>"
    When the initiator sends a request with the data "<question><uin>990101300123</uin></question>"
    Then the gateway answers at once with a new messageId and correlationId
    And the owner receives the request with the gateway's identifiers and the data unaltered
    And the initiator receives the owner's response in the same chain
    And the initiator is told by changeMassageStatusNotification that its request is "DELIVERED"
    And the state of the request is "DELIVERED"
    And the journal records that the initiator received the request's messageId
    And every message of the scenario was accepted within one minute

  @R-22 @R-40 @A1-T4 @A1-T5 @A1-T7 @A1-T8 @A1-T10 @A1-T11
  Scenario: A request and its response travel by pull, and the state follows the message's life
    Given both systems take their messages with GetMessages
    And the owner answers every request with "<answer>42</answer>"
    When the initiator sends a request with the data "<question/>"
    Then the state of the request is "ON_DELIVERY"
    When the owner collects its messages and confirms them
    Then the state of the request is "DELIVERED"
    When the initiator collects its messages and confirms them
    Then the initiator has received the owner's response in the same chain
    And the status history of the request reads "ON_DELIVERY, ON_DELIVERY, DELIVERED"
    And every message of the scenario was accepted within one minute

  @A1-T4 @A1-T5 @A1-T8
  Scenario: A recipient that does not accept a message asks for it again, then refuses it
    Given both systems take their messages with GetMessages
    And the owner does not accept messages and asks for them again
    When the initiator sends a request with the data "<question/>"
    And the owner collects its messages and confirms them
    Then the state of the request is "ON_DELIVERY"
    Given the owner does not accept messages
    When the owner collects its messages and confirms them
    Then the owner has been given the request 2 times
    And the state of the request is "NOT_DELIVERED"

  @A2-T2 @A1-T13 @A1-T15 @R-46
  Scenario: A recipient that is down receives the message once, when it is back
    Given both systems take their messages by push
    And the owner is down
    When the initiator sends a request with the data "<question/>"
    Then the gateway tries to push the request at least 3 times
    And the state of the request is "ON_DELIVERY"
    When the owner is back
    Then the state of the request becomes "DELIVERED"
    And the owner has taken the request exactly once
    And the initiator is told by changeMassageStatusNotification that its request is "DELIVERED"

  @A1-T10 @A1-T11 @A1-P2
  Scenario Outline: GetMessages selects <selection>
    Given both systems take their messages with GetMessages
    And the gateway's default amount for GetMessages is 3
    When the initiator sends 5 requests
    And the owner asks for its messages <selection>
    Then the gateway returns <count> messages, valid against the asynchronous channel schema

    Examples:
      | selection                              | count |
      | of the service                         | 3     |
      | of the service with amount 0           | 3     |
      | of the service with amount 2           | 2     |
      | of the service with amount 10          | 5     |
      | by the first request's messageId       | 1     |
      | by the second request's correlationId  | 1     |

  @A1-T3 @R-6
  Scenario: A message for a service that is not in the registry is refused
    When the initiator sends a request to "NO_SUCH_SERVICE"
    Then the gateway answers the fault "SCE004" citing "R-6"

  @A1-T3 @R-53
  Scenario: A message with a wrong password is refused
    When the initiator sends a request with the password "guessed"
    Then the gateway answers the fault "SCE002" citing "R-53"

  @A1-T3 @R-61
  Scenario: A system outside a chain cannot send a message into it
    Given both systems take their messages with GetMessages
    And the system "OTHER_SYS" may send requests to "ASYNC_SERVICE"
    When the initiator sends a request with the data "<question/>"
    And "OTHER_SYS" sends a RESPONSE in the initiator's chain
    Then the gateway answers the fault "SCE021" citing "R-61"

  @A1-T13 @A1-T3
  Scenario: A response without the chain's correlationId is refused
    When the initiator sends a RESPONSE without a correlationId
    Then the gateway answers the fault "SCE001" citing "A1-T13 row 4"

  @A1-T1 @A1-T3 @R-5
  Scenario Outline: A message missing a required field is refused before acceptance
    When the initiator sends a request without "<field>"
    Then the gateway answers the fault "SCE001" citing "<rule>"

    Examples:
      | field                                | rule          |
      | request/messageInfo/serviceId        | A1-T1 row 5   |
      | request/messageInfo/messageType      | A1-T1 row 6   |
      | request/messageInfo/messageDate      | A1-T1 row 8   |
      | request/messageInfo/sender           | A1-T1 row 10  |
      | request/messageInfo/sender/senderId  | A1-T1 row 11  |
      | request/messageData                  | A1-T1 row 16  |

  @R-47 @L-2 @A2-T2
  Scenario: Every message is accepted within one minute of its receipt
    Given both systems take their messages with GetMessages
    When the initiator sends 20 requests
    Then every message of the scenario was accepted within one minute
    And the journal records the request as received, then accepted, then answered

  @R-59 @R-56 @A1-T3
  Scenario: A message without the sender's transport signature is refused
    When the initiator sends an unsigned request
    Then the gateway answers the fault "SCE007" citing "R-59"

  @A6-S1 @R-59 @A1-T13 @A1-T16
  Scenario: A pushed message reaches the participant signed by the gateway
    Given both systems take their messages by push
    When the initiator sends a request with the data "<question><uin>990101300123</uin></question>"
    Then the owner receives the request signed by the gateway
    And the state of the request becomes "DELIVERED"
    And the initiator is told by changeMassageStatusNotification that its request is "DELIVERED"

  @R-54 @R-58 @A1-T15
  Scenario: A push answered under another organisation's certificate is not counted as delivered
    Given both systems take their messages by push
    And the owner signs its answers with the certificate of another organisation
    When the initiator sends a request with the data "<question/>"
    Then the gateway tries to push the request at least 2 times
    And the journal records the failed pushes with the fault "SCE011" citing "R-54"
    And the state of the request is "ON_DELIVERY"
