@role-async-sender @A1-P1
Feature: The system under test sends on the asynchronous channel and follows the delivery
  The system under test, made to act through its trigger, sends a sendMessage to the gateway: valid
  against the channel's schema, with its registered senderId and password and its own transport
  signature. It takes the gateway's messageId and follows the delivery to a final state, either by
  asking getMessageStatus or by the changeMassageStatusNotification the gateway pushes to it, which
  it answers signed. What travelled is judged from the gateway's journal and store.

  Background:
    Given the gateway runs its asynchronous channel for the system under test
    And the owner system "OWNER_SYS" serves "ASYNC_SERVICE" and takes its messages by push
    And the system under test may send to "ASYNC_SERVICE"

  @A1-T1 @A1-T2 @R-22 @R-59 @R-53 @A1-T7 @A1-T8
  Scenario: The sender's message is accepted and it follows the delivery with getMessageStatus
    When the system under test sends "<question><uin>990101300123</uin></question>" to "ASYNC_SERVICE" and follows the delivery by status
    Then the gateway accepted the message of the system under test, signed and valid
    And the owner receives the message of the system under test with the data unaltered
    And the system under test learned the messageId the gateway gave the message
    And the system under test asked the gateway for the message's state with getMessageStatus
    And the system under test reports the state "DELIVERED"

  @A1-T1 @R-59 @A1-T16 @A1-T17
  Scenario: The sender follows the delivery by the notification the gateway pushes to it
    Given the system under test takes its status notifications by push
    When the system under test sends "<question/>" to "ASYNC_SERVICE" and follows the delivery by notification
    Then the gateway accepted the message of the system under test, signed and valid
    And the gateway records that the system under test answered its changeMassageStatusNotification "DELIVERED", signed and valid
    And the system under test reports the state "DELIVERED"
