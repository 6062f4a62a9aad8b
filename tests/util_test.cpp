// src/util: SHA-256, reading input files, UTF-8 validation, running a program told to go later.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "test_support.h"
#include "util/file_read.h"
#include "util/sha256.h"
#include "util/subprocess.h"

namespace fs = std::filesystem;
using sm::test::TempDir;
using namespace sm::util;

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(std::string("a\0b", 3)), sha256_hex(std::string("a\0b", 3)));
  EXPECT_NE(sha256_hex(std::string("a\0b", 3)), sha256_hex("a"));
}

TEST(ReadWholeFile, ReadsBytesUnchanged) {
  TempDir tmp;
  const std::string content =
      "\xEF\xBB\xBF"
      "CREATE TABLE a ();\r\n-- caf\xC3\xA9\r\n";
  auto r = read_whole_file(tmp.write("m.sql", content));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.bytes, content);
  EXPECT_TRUE(r.error.empty());
}

TEST(ReadWholeFile, EmptyFileIsOk) {
  TempDir tmp;
  auto r = read_whole_file(tmp.write("empty.sql", ""));
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.bytes.empty());
}

TEST(ReadWholeFile, Missing) {
  TempDir tmp;
  auto r = read_whole_file(tmp.path() / "nope.sql");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("nope.sql"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("no such file"), std::string::npos) << r.error;
}

TEST(ReadWholeFile, DanglingSymlink) {
  TempDir tmp;
  fs::create_symlink(tmp.path() / "gone.sql", tmp.path() / "link.sql");
  auto r = read_whole_file(tmp.path() / "link.sql");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("symbolic link whose target does not exist"), std::string::npos) << r.error;
}

TEST(ReadWholeFile, Directory) {
  TempDir tmp;
  fs::create_directory(tmp.path() / "dir.sql");
  auto r = read_whole_file(tmp.path() / "dir.sql");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("is a directory"), std::string::npos) << r.error;
}

TEST(ReadWholeFile, NamedPipeDoesNotHang) {
  TempDir tmp;
  const fs::path fifo = tmp.path() / "pipe.sql";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto r = read_whole_file(fifo);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("named pipe"), std::string::npos) << r.error;
}

TEST(ReadWholeFile, Unreadable) {
  if (::geteuid() == 0)
    GTEST_SKIP() << "running as root can read mode-000 files (cli_test "
                    "Cli.UnreadableFileIsReportedAndTheRestChecked runs the binary as nobody instead)";
  TempDir tmp;
  const fs::path p = tmp.write("secret.sql", "SELECT 1;");
  fs::permissions(p, fs::perms::none);
  auto r = read_whole_file(p);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("permission denied"), std::string::npos) << r.error;
}

TEST(ReadWholeFile, TooLarge) {
  TempDir tmp;
  const fs::path p = tmp.write("big.sql", std::string(3000, 'x'));
  auto r = read_whole_file(p, 2048);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("big.sql"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("3000 bytes"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("2048 bytes"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("--max-file-size"), std::string::npos) << r.error;
  EXPECT_TRUE(read_whole_file(p, 3000).ok);  // the limit is inclusive
}

TEST(ReadWholeFile, DefaultLimitIsTenMiB) {
  TempDir tmp;
  const fs::path p = tmp.write("big.sql", std::string(kDefaultMaxFileSize + 1, 'x'));
  auto r = read_whole_file(p);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("10.0 MiB (10485760 bytes)"), std::string::npos) << r.error;
}

TEST(ReadWholeFile, BinaryFile) {
  TempDir tmp;
  const fs::path p = tmp.write("bin.sql", std::string("SELECT\0 1;", 10));
  auto r = read_whole_file(p);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("binary file"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("offset 6"), std::string::npos) << r.error;
}

TEST(FirstInvalidUtf8, ValidText) {
  EXPECT_EQ(first_invalid_utf8(""), std::nullopt);
  EXPECT_EQ(first_invalid_utf8("plain ascii"), std::nullopt);
  EXPECT_EQ(first_invalid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF"), std::nullopt);
}

TEST(FirstInvalidUtf8, InvalidSequences) {
  EXPECT_EQ(first_invalid_utf8("caf\xE9!"), 3u);            // Latin-1 é
  EXPECT_EQ(first_invalid_utf8("ab\xC0\x80"), 2u);          // overlong NUL
  EXPECT_EQ(first_invalid_utf8("\xE0\x80\xAF"), 0u);        // overlong '/'
  EXPECT_EQ(first_invalid_utf8("x\xED\xA0\x80"), 1u);       // surrogate U+D800
  EXPECT_EQ(first_invalid_utf8("xy\xF4\x90\x80\x80"), 2u);  // above U+10FFFF
  EXPECT_EQ(first_invalid_utf8("\xC3\xA9\xE2\x82"), 2u);    // truncated at the end
  EXPECT_EQ(first_invalid_utf8("a\x80"), 1u);               // lone continuation byte
  EXPECT_EQ(first_invalid_utf8("\xF5\x80\x80\x80"), 0u);    // never-valid lead byte
}

TEST(LineColumn, CountsLinesAndByteColumns) {
  const std::string text = "ab\ncd\r\nef";
  EXPECT_EQ(line_column_at(text, 0).line, 1u);
  EXPECT_EQ(line_column_at(text, 0).column, 1u);
  EXPECT_EQ(line_column_at(text, 4).line, 2u);
  EXPECT_EQ(line_column_at(text, 4).column, 2u);
  EXPECT_EQ(line_column_at(text, 8).line, 3u);
  EXPECT_EQ(line_column_at(text, 8).column, 2u);
}

TEST(HumanSize, Units) {
  EXPECT_EQ(human_size(1), "1 byte");
  EXPECT_EQ(human_size(512), "512 bytes");
  EXPECT_EQ(human_size(1536), "1.5 KiB");
  EXPECT_EQ(human_size(10ull * 1024 * 1024), "10.0 MiB");
}

// A started program reads what it is sent after its start-up, and its output comes line by line.
TEST(Process, ReadsWhatItIsSentThenRunsToTheEnd) {
  Process p({{"sh", "-c", "echo starting; read go; echo \"got $go\"; exit 3"}, {}, ""});
  ASSERT_TRUE(p.send("{\"session\": 1}\n"));
  std::vector<std::string> lines;
  EXPECT_EQ(p.wait([&](const std::string& l) { lines.push_back(l); }), 3);
  EXPECT_EQ(lines, (std::vector<std::string>{"starting", "got {\"session\": 1}"}));
}

// Never told to go (the gate refused): it is stopped, not left waiting, and not waited for long.
TEST(Process, OneNeverSentAnythingIsStopped) {
  auto start = std::chrono::steady_clock::now();
  { Process p({{"sh", "-c", "sleep 30; read go"}, {}, ""}); }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

// One that ended before reading: send says so instead of a SIGPIPE ending us; its exit code stays.
TEST(Process, SendingToOneThatEndedFailsQuietly) {
  Process p({{"sh", "-c", "exec 0<&-; echo gone; exit 2"}, {}, ""});
  std::vector<std::string> lines;
  // More than a pipe holds: the write cannot finish before the reader is gone.
  std::string big(1 << 20, 'x');
  bool sent = p.send(big);
  EXPECT_EQ(p.wait([&](const std::string& l) { lines.push_back(l); }), 2);
  EXPECT_FALSE(sent);
  EXPECT_EQ(lines, (std::vector<std::string>{"gone"}));
}

// A program that cannot be started is an error naming it, not a child that exits 127.
TEST(Process, AMissingProgramIsAnErrorNamingIt) {
  try {
    Process p({{"/nonexistent/python3"}, {}, ""});
    FAIL() << "started";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/python3"), std::string::npos) << e.what();
  }
}
