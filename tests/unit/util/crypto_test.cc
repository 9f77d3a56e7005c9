#include "util/crypto.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <set>

namespace wpfleet {
namespace {

Bytes new_key() {
  auto key = random_bytes(32);
  EXPECT_TRUE(key.ok());
  return *key;
}

TEST(CryptoTest, RandomBytesHaveTheRequestedSizeAndDiffer) {
  auto first = random_bytes(32);
  auto second = random_bytes(32);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->size(), 32u);
  EXPECT_NE(*first, *second);
  EXPECT_TRUE(random_bytes(0)->empty());
}

TEST(CryptoTest, PasswordsHaveTheRequestedLengthAndAlphabetAndDiffer) {
  std::set<std::string> seen;
  for (std::size_t length : {1u, 16u, 32u, 64u, 300u}) {
    auto password = random_password(length);
    ASSERT_TRUE(password.ok()) << password.error().message;
    EXPECT_EQ(password->size(), length);
    EXPECT_TRUE(std::all_of(password->begin(), password->end(), [](unsigned char c) {
      return std::isalnum(c) != 0;
    })) << *password;
    seen.insert(*password);
  }
  EXPECT_EQ(random_password()->size(), 32u);
  EXPECT_NE(*random_password(), *random_password());
  EXPECT_EQ(seen.size(), 5u);
}

TEST(CryptoTest, PasswordsUseTheWholeAlphabet) {
  auto password = random_password(5000);
  ASSERT_TRUE(password.ok());
  std::set<char> used(password->begin(), password->end());
  EXPECT_EQ(used.size(), 62u);
}

TEST(CryptoTest, SealedValueOpensWithTheSameKeyAndAad) {
  Bytes key = new_key();
  for (const std::string& plaintext :
       {std::string(), std::string("hunter2"), std::string(100000, 'p') + std::string(1, '\0')}) {
    auto sealed = seal(key, plaintext, "platform\nroot");
    ASSERT_TRUE(sealed.ok()) << sealed.error().message;
    EXPECT_EQ(sealed->size(), 12 + plaintext.size() + 16);
    auto opened = open_sealed(key, *sealed, "platform\nroot");
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    EXPECT_EQ(*opened, plaintext);
  }
}

TEST(CryptoTest, SealingTwiceGivesDifferentCiphertexts) {
  Bytes key = new_key();
  EXPECT_NE(*seal(key, "same", "aad"), *seal(key, "same", "aad"));
}

TEST(CryptoTest, TamperedCiphertextFails) {
  Bytes key = new_key();
  Bytes sealed = *seal(key, "the secret value", "aad");
  for (std::size_t position : {std::size_t{0}, std::size_t{12}, sealed.size() - 1}) {
    Bytes tampered = sealed;
    tampered[position] ^= 0x01;
    auto opened = open_sealed(key, tampered, "aad");
    ASSERT_FALSE(opened.ok()) << "flipped byte " << position;
    EXPECT_EQ(opened.error().message.find("the secret value"), std::string::npos);
  }
}

TEST(CryptoTest, WrongAadOrKeyFails) {
  Bytes key = new_key();
  Bytes sealed = *seal(key, "value", "env/tenant\ndb_password");
  EXPECT_FALSE(open_sealed(key, sealed, "env/other\ndb_password").ok());
  EXPECT_FALSE(open_sealed(new_key(), sealed, "env/tenant\ndb_password").ok());
}

TEST(CryptoTest, TruncatedDataAndBadKeysAreErrors) {
  Bytes key = new_key();
  EXPECT_FALSE(open_sealed(key, Bytes(27), "aad").ok());
  auto short_key = seal(Bytes(16), "value", "aad");
  ASSERT_FALSE(short_key.ok());
  EXPECT_NE(short_key.error().message.find("32 bytes"), std::string::npos);
}

TEST(CryptoTest, Sha256MatchesKnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CryptoTest, Sha1MatchesKnownVectors) {
  EXPECT_EQ(sha1_hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(sha1_hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

}  // namespace
}  // namespace wpfleet
