#pragma once
// The names on the bus that the daemon and the client share (the
// contract's): the bus name, the objects and interfaces, the error names,
// and the states a job and the monitor report. Defined once, here; neither
// side spells them.
#include <cstdint>
#include <string>

#include "common/base/enum_names.hpp"
#include "common/base/error.hpp"

namespace giflab::bus {

inline constexpr const char* kName = "org.giflab.Perf1";
inline constexpr const char* kManagerPath = "/org/giflab/Perf1";
inline constexpr const char* kManagerInterface = "org.giflab.Perf1.Manager";
inline constexpr const char* kJobInterface = "org.giflab.Perf1.Job";
inline constexpr const char* kErrorPrefix = "org.giflab.Perf1.Error.";

std::string jobPath(uint32_t id);  // /org/giflab/Perf1/job/N

inline constexpr EnumNames<ErrorKind, 12> kErrorNames{{{{ErrorKind::InvalidArgument, "InvalidArgument"},
                                                        {ErrorKind::Config, "Config"},
                                                        {ErrorKind::NoBaselines, "NoBaselines"},
                                                        {ErrorKind::BaselineCorrupt, "BaselineCorrupt"},
                                                        {ErrorKind::InsufficientSamples, "InsufficientSamples"},
                                                        {ErrorKind::ScenarioFailed, "ScenarioFailed"},
                                                        {ErrorKind::UnknownScenario, "UnknownScenario"},
                                                        {ErrorKind::Storage, "Storage"},
                                                        {ErrorKind::Cancelled, "Cancelled"},
                                                        {ErrorKind::AccessDenied, "AccessDenied"},
                                                        {ErrorKind::Busy, "Busy"},
                                                        {ErrorKind::Internal, "Internal"}}}};
// org.giflab.Perf1.Error.<Kind>
std::string errorName(ErrorKind kind);
// The kind of one of our error names; Internal for any other name.
ErrorKind errorKindOf(const std::string& name);
// Whether a D-Bus error name is one of ours.
bool isOurError(const std::string& name);

enum class JobState { Queued, Running, Succeeded, Failed, Cancelled };
inline constexpr EnumNames<JobState, 5> kJobStateNames{{{{JobState::Queued, "queued"},
                                                         {JobState::Running, "running"},
                                                         {JobState::Succeeded, "succeeded"},
                                                         {JobState::Failed, "failed"},
                                                         {JobState::Cancelled, "cancelled"}}}};

enum class MonitorState { Stopped, Running, Disabled };
inline constexpr EnumNames<MonitorState, 3> kMonitorStateNames{
    {{{MonitorState::Stopped, "stopped"}, {MonitorState::Running, "running"}, {MonitorState::Disabled, "disabled"}}}};

}  // namespace giflab::bus
