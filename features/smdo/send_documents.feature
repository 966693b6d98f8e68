@role-smdo-sender
Feature: The agency's СЭД sends documents through the SMDO router
  A departmental document system (СЭД) sends through the router of the AIS MV platform in steps,
  each answered by the router: it requests the package, uploads the files, then the signature of
  each file, then sends the whole package (204, accepted for processing). The router checks the
  packet against the format and the signatures, routes it to the recipients and, once a recipient
  confirms receipt, sends the sender its delivery receipt; the recipient's СЭД then notifies
  registration or its refusal. A negative answer at any step stops the sending thread, and the
  thread starts again no sooner than 10 seconds after the previous send ended, also when a user sends
  several documents together. The harness makes the
  system under test send through its trigger and judges from what the simulated router received;
  the counterpart is a subscriber the router plays.

  Background:
    Given the SMDO router runs with a counterpart subscriber
    And the system under test is a subscriber of the router with its certificate and client credentials

  @SMDO-SEND @SMDO-SIGN @SMDO-FORMAT @SMDO-DIR @SMDO-TOKEN @SMDO-RECEIPT @SMDO-ACK
  Scenario: A document with two files and their signatures reaches the counterpart
    When the system under test is made to send the counterpart a document with 2 files, asking for acknowledgement
    Then the system under test got its token with HTTP Basic and sent it as Bearer on every call
    And every file the system under test sent carries a signature that verifies against its certificate
    And the system under test requested each package, attached its files, signed each file and only then sent it
    And the router routed every package of the system under test
    And the system under test took the router's delivery receipt and the counterpart's registration notice
    And the system under test reported the document "registered"

  @SMDO-REPLY @SMDO-SEND
  Scenario: A document in reply to the counterpart's names the original
    Given the counterpart sent the system under test a document with 1 file
    And the system under test took the counterpart's document
    When the system under test is made to send the counterpart a reply to that document
    Then the system under test requested each package, attached its files, signed each file and only then sent it
    And the router routed every package of the system under test
    And the reply of the system under test names the counterpart's document as its parent

  @SMDO-ADD @SMDO-SIGN
  Scenario: Additional materials replace a file of a document sent earlier
    When the system under test is made to send the counterpart a document with 2 files
    And the system under test is made to send the counterpart a file replacing one of that document
    Then the router routed every package of the system under test
    And the additional materials of the system under test replace a file of the document it sent
    And every file the system under test sent carries a signature that verifies against its certificate

  @SMDO-RESTART
  Scenario: Documents sent together go out at least 10 seconds apart
    When the system under test is made to send the counterpart 3 documents together
    Then the router routed every package of the system under test
    And the system under test started each package at least 10 seconds after its previous send ended

  @SMDO-ACK
  Scenario: The sender learns that the counterpart refused registration
    Given the counterpart refuses to register the documents it receives
    When the system under test is made to send the counterpart a document with 1 file, asking for acknowledgement
    Then the system under test took the router's delivery receipt and the counterpart's registration notice
    And the system under test reported the document "refused"

  @SMDO-TOKEN
  Scenario: The access token expires in the middle of a send
    Given the router lets the token of the system under test expire after its next 2 calls
    When the system under test is made to send the counterpart a document with 2 files
    Then after the 401 the system under test got a new token and repeated the call
    And the router routed every package of the system under test

  @SMDO-HALT
  Scenario: The sending thread stops at the router's negative answer
    Given the router answers the next signature of the system under test negatively
    When the system under test is made to send the counterpart a document with 2 files
    Then the system under test did not send the package the router answered negatively
    And the system under test reported the document unsent

  @SMDO-NOTICE @SMDO-HALT
  Scenario: The router's notice of a fault found after sending
    Given the router finds a format fault in the next package of the system under test after accepting it
    When the system under test is made to send the counterpart a document with 1 file
    Then the system under test took the router's notice about its package
    And the system under test reported the document unsent
