// A campaign's picture (issue 13, part 2), over service::OrganizingService (kEdit; recorded).
//
//   GET  /console/c/{slug}/picture   the picture's form alone (the edit page shows it too, below
//                                    the campaign's form: a form with a file cannot be nested)
//   POST /console/c/{slug}/picture   multipart/form-data: image (a PNG or JPEG file; none keeps
//                                    the stored picture and changes only its description),
//                                    image_alt (required), do=save|remove. 303 to the campaign's
//                                    console page; 422 with the form again (the description as
//                                    typed, a message per field) when something is wrong
#include <chrono>
#include <map>
#include <string>

#include "http/console/routes.h"
#include "http/pages/views.h"
#include "render/logo.h"

namespace undersigned::http::console {

using render::Data;
using render::DataList;

namespace {

// What the picture's POST may carry: the largest picture, the description and the token.
MultipartLimits PictureLimits() {
  MultipartLimits limits;
  limits.max_parts = 8;
  limits.max_total_bytes = render::kPictureLimits.max_bytes + (64 << 10);
  return limits;
}

RouteOptions UploadRoute(const char* name) {
  RouteOptions o = ConsoleRoute(name);
  o.body_limit = PictureLimits().max_total_bytes;
  o.read_timeout = std::chrono::seconds(120);  // a photo from a phone on a slow network
  return o;
}

Response Show(ConsoleKit& k, const Visit& v, const Campaign& c, const std::string* alt_typed,
              const std::map<std::string, std::string>& errors, int status) {
  Data d = PictureFormData(v, c, alt_typed, errors);
  DataList summary;
  for (const auto& [field, message] : errors) {
    Data item;
    item.set("field_id", field == "image_alt" ? "p-image_alt" : "p-image");
    item.set("message", message);
    summary.push_back(item);
  }
  d.set("has_errors", Data(!summary.empty()));
  d.set("error_list", Data(summary));
  d.set("slug", c.slug);
  d.set("title", c.title);
  return k.Page(&v, "console_picture", std::move(d), "Picture of " + c.title, status);
}

}  // namespace

Data PictureFormData(const Visit& v, const Campaign& c, const std::string* alt_typed,
                     const std::map<std::string, std::string>& errors) {
  Data d;
  d.set("action", "/console/c/" + c.slug + "/picture");
  d.set("csrf", v.csrf);
  if (c.image) {
    Data current;
    current.set("src", pages::PicturePath(c.slug, *c.image));
    current.set("alt", c.image->alt);
    current.set("size", std::to_string(c.image->width) + "\u00d7" +
                            std::to_string(c.image->height) + " pixels");
    d.set("current", current);
  } else {
    d.set("current", Data(false));
  }
  d.set("alt", alt_typed ? *alt_typed : (c.image ? c.image->alt : std::string()));
  auto error = [&](const char* field) {
    auto it = errors.find(field);
    return it == errors.end() ? Data(false) : Data(it->second);
  };
  d.set("image_error", error("image"));
  d.set("alt_error", error("image_alt"));
  d.set("max_size", std::to_string(render::kPictureLimits.max_bytes >> 20) + " MiB");
  d.set("output_side", std::to_string(render::kPictureLimits.output_side));
  return d;
}

void RegisterPicture(Router& router, KitPtr kit) {
  router.Add("GET", "/console/c/{slug}/picture",
             SignedInGet(kit,
                         [](ConsoleKit& k, const Request& req, const Visit& v) {
                           auto c = k.CampaignFor(v, req.Param("slug"), CampaignAction::kEdit);
                           if (!c) return k.Error(&v, req, c.error());
                           return Show(k, v, *c, nullptr, {}, 200);
                         }),
             ConsoleRoute("console_picture"));

  router.Add("POST", "/console/c/{slug}/picture",
             SignedInUpload(
                 kit, PictureLimits(),
                 [](ConsoleKit& k, const Request& req, const Visit& v, const pages::Form& form,
                    const std::map<std::string, FormPart>& files) {
                   auto c = k.CampaignFor(v, req.Param("slug"), CampaignAction::kEdit);
                   if (!c) return k.Error(&v, req, c.error());
                   if (pages::First(form, "do") == "remove") {
                     auto removed = k.organizing().RemoveImage(v.actor(), c->id);
                     if (!removed) return k.Error(&v, req, removed.error());
                     return SeeOther("/console/c/" + c->slug + "?picture=removed");
                   }
                   const std::string alt = pages::First(form, "image_alt");
                   auto file = files.find("image");
                   const std::string empty;
                   const std::string& bytes = file == files.end() ? empty : file->second.body;
                   auto saved = k.organizing().SetImage(v.actor(), c->id, bytes, alt);
                   if (!saved) {
                     if (saved.error().code != Code::kInvalidArgument) {
                       return k.Error(&v, req, saved.error());
                     }
                     std::map<std::string, std::string> errors;
                     for (const auto& [field, message] : saved.error().field_errors) {
                       errors[field] = field == "image_alt"
                                           ? "Describe what the picture shows, in a few words (at "
                                             "most 300 characters, on one line)."
                                           : "The picture: " + message + ".";
                     }
                     if (errors.empty()) errors["image"] = saved.error().message;
                     return Show(k, v, *c, &alt, errors, 422);
                   }
                   return SeeOther("/console/c/" + c->slug + "?picture=saved");
                 }),
             UploadRoute("console_picture_save"));
}

}  // namespace undersigned::http::console
